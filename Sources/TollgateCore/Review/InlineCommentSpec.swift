/// A reviewer's inline comment as typed on the command line, `PATH:LINE:TEXT`, before it is checked against the
/// branch under review.
///
/// A path may itself hold colons (`docs/a:b.md:3:Why`), so the spec keeps every way of reading it: each
/// `:<digits>:` in it can end the path. ``resolve(against:)`` takes the first reading whose path is a file on
/// the branch (leftmost first), so a path is addressed as written whenever the file exists.
public struct InlineCommentSpec: Sendable, Equatable {
    /// One way of splitting the spec into path, line and text.
    public struct Reading: Sendable, Equatable {
        public var path: String
        public var line: Int
        public var text: String

        public init(path: String, line: Int, text: String) {
            self.path = path
            self.line = line
            self.text = text
        }
    }

    /// The spec as given.
    public let raw: String
    /// The readings, leftmost split first; never empty.
    public let readings: [Reading]

    /// Why a spec cannot be read; the message names the spec and the form.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Splits `spec` at each `:<line>:`; refuses a spec with no line number from 1, an empty text, an absolute
    /// path or one that climbs out of the repository with `..`.
    public init(parsing spec: String) throws(Problem) {
        raw = spec
        var readings: [Reading] = []
        let scalars = Array(spec.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard scalars[index] == ":", index > 0 else { continue }
            var end = index + 1
            while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
            guard end > index + 1, end < scalars.count, scalars[end] == ":" else { continue }
            let path = String(String.UnicodeScalarView(scalars[..<index]))
            let digits = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
            let text = String(String.UnicodeScalarView(scalars[(end + 1)...]))
            guard let line = Int(digits), line > 0, let clean = CommitText.block(text) else { continue }
            readings.append(Reading(path: path, line: line, text: clean))
        }
        guard let first = readings.first else {
            throw Problem(
                description: "--comment must be PATH:LINE:TEXT with a line number from 1 and a text, "
                    + "e.g. --comment 'plan.md:3:Say why'; got '\(spec)'"
            )
        }
        if let problem = Self.pathProblem(first.path) {
            throw Problem(description: "--comment '\(spec)': \(problem)")
        }
        self.readings = readings.filter { Self.pathProblem($0.path) == nil }
    }

    /// Why `path` cannot name a file of the repository, if it cannot.
    static func pathProblem(_ path: String) -> String? {
        if path.hasPrefix("/") { return "the path must be relative to the repository's top, not absolute" }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") { return "the path must stay inside the repository (no `..`)" }
        if parts.contains("") || parts.contains(".") { return "the path must be written plainly, like `docs/plan.md`" }
        if path.unicodeScalars.contains(where: CommitText.isControl) { return "the path holds a control character" }
        return nil
    }

    /// The reading whose path is a file of the branch (`lineCounts` maps each file path to its number of lines),
    /// with its line within the file; else why not.
    public func resolve(against lineCounts: (String) -> Int?, branch: String) -> Result<Reading, Problem> {
        for reading in readings {
            guard let count = lineCounts(reading.path) else { continue }
            guard reading.line <= count else {
                let lines = count == 1 ? "1 line" : "\(count) lines"
                return .failure(
                    Problem(
                        description: "--comment '\(raw)': \(reading.path) has \(lines) on \(branch); "
                            + "line \(reading.line) does not exist"
                    )
                )
            }
            return .success(reading)
        }
        let path = readings.first?.path ?? raw
        return .failure(
            Problem(
                description: "--comment '\(raw)': \(path) is not a file on \(branch); "
                    + "name a file the phase changed or holds, relative to the repository's top"
            )
        )
    }
}
