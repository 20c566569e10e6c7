import Foundation
import TollgateCore

/// The critic's must-fix items (and the lint findings) of one phase revision, as reviewers see them on the pull
/// request: one inline comment per item, on the line of the artifact it names.
///
/// Read back from the `result.json` the critique committed on the branch, so a rerun after a crash finds the same
/// items; a file that is missing or unreadable means there is nothing to show.
public struct CritiqueFindings: Sendable, Equatable {
    /// One item, on one artifact.
    public struct Item: Codable, Sendable, Equatable {
        /// The artifact, relative to the workspace root.
        public var path: String
        /// Who raised it: a panelist's role, or `lint`.
        public var role: String
        /// What to fix, as written.
        public var text: String
        /// The line the item names, if it names one.
        public var line: Int?

        /// Creates an item; the line is the one `text` names (`line 12`, `L12`, `plan.md:12`), if any.
        public init(path: String, role: String, text: String, line: Int? = nil) {
            self.path = path
            self.role = role
            self.text = text
            self.line = line ?? Self.line(namedIn: text, path: path)
        }

        /// The line number `text` names: `line 12`, `lines 12–14`, `L12`, or `path:12`.
        static func line(namedIn text: String, path: String) -> Int? {
            let patterns = [
                #"\b[Ll]ines?\s+(\d+)"#, #"\bL(\d+)\b"#, NSRegularExpression.escapedPattern(for: path) + #":(\d+)"#,
            ]
            for pattern in patterns {
                guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
                let range = NSRange(text.startIndex..., in: text)
                guard let match = regex.firstMatch(in: text, range: range), match.numberOfRanges > 1,
                    let digits = Range(match.range(at: 1), in: text), let line = Int(text[digits]), line > 0
                else { continue }
                return line
            }
            return nil
        }
    }

    /// Where the critique's files are, relative to the workspace root.
    public var reportDirectory: String
    /// The items, artifact by artifact, in the critic's order, lint findings last.
    public var items: [Item]

    /// Creates findings.
    public init(reportDirectory: String, items: [Item]) {
        self.reportDirectory = reportDirectory
        self.items = items
    }

    /// The findings of `phase`'s revision `revision` in the working tree at `root`, or nil when no critique ran.
    public static func read(root: URL, phase: PhaseRef, revision: Int) -> CritiqueFindings? {
        let directory = "critique/phase-\(phase.number)/rev-\(revision)"
        let url = root.appendingPathComponent(directory).appendingPathComponent("result.json")
        struct Document: Decodable {
            struct Artifact: Decodable {
                var path: String
                var mustFix: [Item]?
                var lint: [ArtifactLint.Finding]?
            }
            var artifacts: [Artifact]?
        }
        guard let data = try? Data(contentsOf: url),
            let document = try? JSONDecoder().decode(Document.self, from: data)
        else { return nil }
        var items: [Item] = []
        for artifact in document.artifacts ?? [] {
            items += artifact.mustFix ?? []
            items += (artifact.lint ?? []).map { Item(path: $0.path, role: "lint", text: $0.message, line: $0.line) }
        }
        return CritiqueFindings(reportDirectory: directory, items: items)
    }

    /// The findings with every line checked against the artifact in the working tree at `root`: a line the file
    /// does not have (the critic miscounted, or the file changed) is dropped, so the item goes on the first line.
    public func anchored(in root: URL) -> CritiqueFindings {
        var lineCounts: [String: Int] = [:]
        func lines(of path: String) -> Int {
            if let known = lineCounts[path] { return known }
            let text = (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)) ?? ""
            let count =
                text.split(separator: "\n", omittingEmptySubsequences: false).count
                - (text.hasSuffix("\n") ? 1 : 0)
            lineCounts[path] = count
            return count
        }
        var copy = self
        copy.items = items.map { item in
            var item = item
            if let line = item.line, line > lines(of: item.path) { item.line = nil }
            return item
        }
        return copy
    }

    /// The review's text: what the items are and where the whole report is.
    public func summary(phase: PhaseRef, revision: Int) -> String {
        let files = Set(items.map(\.path)).sorted().map { "`\($0)`" }.joined(separator: ", ")
        return "**Critique of \(phase.description), revision \(revision):** \(items.count) must-fix item(s) on "
            + "\(files), each on the line it names (or the file's first line). The full report is "
            + "`\(reportDirectory)/report.md` on the branch."
    }

    /// An item's inline comment.
    public static func comment(_ item: Item) -> String {
        "**Must fix** (\(item.role)): \(item.text)"
    }
}
