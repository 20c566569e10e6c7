import Foundation

/// Checks an artifact the critique is about to keep: no `TODO` marker, no placeholder "lorem ipsum" text, and no
/// relative Markdown link to a file that does not exist in the workspace.
///
/// Every finding is a must-fix item: a critique that ships an artifact with findings does not pass, and the revision
/// loop hands the findings to the agent with the panel's own must-fix items.
public enum ArtifactLint {
    /// One problem, at a line of the artifact.
    public struct Finding: Sendable, Equatable, Codable, CustomStringConvertible {
        /// `todo`, `lorem-ipsum` or `broken-link`.
        public var rule: String
        /// The artifact, relative to the workspace root.
        public var path: String
        /// The line, from 1.
        public var line: Int
        /// What is wrong and what to do.
        public var message: String

        /// Creates a finding.
        public init(rule: String, path: String, line: Int, message: String) {
            self.rule = rule
            self.path = path
            self.line = line
            self.message = message
        }

        public var description: String { "\(path):\(line): \(rule): \(message)" }
    }

    /// The findings in `text`, the artifact at `path` (relative to `root`), in line order.
    ///
    /// Links are checked against the files under `root`: a target that is a URL (`https:`, `mailto:`...), an
    /// anchor in the same file (`#...`) or an absolute path is not checked; text inside fenced code blocks and
    /// inline code spans is not checked for links.
    public static func findings(in text: String, path: String, root: URL) -> [Finding] {
        var findings: [Finding] = []
        let directory = (path as NSString).deletingLastPathComponent
        var inFence = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            let number = index + 1
            if Self.containsWord("TODO", in: line) {
                findings.append(
                    Finding(
                        rule: "todo",
                        path: path,
                        line: number,
                        message: "a TODO marker is left in; finish or remove it"
                    )
                )
            }
            if line.lowercased().contains("lorem ipsum") {
                findings.append(
                    Finding(
                        rule: "lorem-ipsum",
                        path: path,
                        line: number,
                        message: "placeholder text (\"lorem ipsum\"); replace it with real content"
                    )
                )
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                inFence.toggle()
                continue
            }
            if inFence { continue }
            for target in Self.linkTargets(in: line) {
                guard let relative = Self.checkedPath(target) else { continue }
                let normalized = Self.normalized(directory.isEmpty ? relative : directory + "/" + relative)
                let escapes = normalized == nil
                let exists = normalized.map {
                    FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path)
                }
                if escapes || exists == false {
                    findings.append(
                        Finding(
                            rule: "broken-link",
                            path: path,
                            line: number,
                            message: "the link to `\(target)` points to "
                                + (escapes ? "a place outside the workspace" : "no file in the workspace")
                                + "; fix the path or remove the link"
                        )
                    )
                }
            }
        }
        return findings
    }

    /// Whether `word` occurs in `line` with no letter, digit or underscore right before or after it.
    static func containsWord(_ word: String, in line: String) -> Bool {
        var searchRange = line.startIndex..<line.endIndex
        while let found = line.range(of: word, range: searchRange) {
            let before = found.lowerBound == line.startIndex ? nil : line[line.index(before: found.lowerBound)]
            let after = found.upperBound == line.endIndex ? nil : line[found.upperBound]
            let isBoundary: (Character?) -> Bool = { character in
                guard let character else { return true }
                return !(character.isLetter || character.isNumber || character == "_")
            }
            if isBoundary(before) && isBoundary(after) { return true }
            searchRange = found.upperBound..<line.endIndex
        }
        return false
    }

    /// The targets of the inline links and images (`[text](target "title")`) and of a link definition
    /// (`[label]: target`) on `line`, outside inline code spans.
    static func linkTargets(in line: String) -> [String] {
        let characters = Array(Self.withoutCodeSpans(line))
        var targets: [String] = []
        let trimmed = String(characters).trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("["), let close = trimmed.range(of: "]:") {
            let rest = trimmed[close.upperBound...].trimmingCharacters(in: .whitespaces)
            if let first = rest.split(separator: " ").first { targets.append(Self.unwrapped(String(first))) }
            return targets
        }
        var index = 0
        while index + 1 < characters.count {
            guard characters[index] == "]", characters[index + 1] == "(" else {
                index += 1
                continue
            }
            var depth = 1
            var end = index + 2
            while end < characters.count {
                if characters[end] == "(" { depth += 1 }
                if characters[end] == ")" {
                    depth -= 1
                    if depth == 0 { break }
                }
                end += 1
            }
            guard end < characters.count else { break }
            let inside = String(characters[(index + 2)..<end]).trimmingCharacters(in: .whitespaces)
            if inside.hasPrefix("<"), let close = inside.firstIndex(of: ">") {
                targets.append(String(inside[inside.index(after: inside.startIndex)..<close]))
            } else if let first = inside.split(separator: " ").first {
                targets.append(String(first))
            }
            index = end + 1
        }
        return targets
    }

    /// The workspace-relative path a link target names, or nil when it is not checked.
    static func checkedPath(_ target: String) -> String? {
        var path = target
        if let cut = path.firstIndex(where: { $0 == "#" || $0 == "?" }) { path = String(path[..<cut]) }
        guard !path.isEmpty, !path.hasPrefix("/") else { return nil }
        if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/") { return nil }  // a scheme
        return path.removingPercentEncoding ?? path
    }

    /// `path` with `.` and `..` resolved; nil when it climbs above its start (out of the workspace).
    static func normalized(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    private static func unwrapped(_ target: String) -> String {
        target.hasPrefix("<") && target.hasSuffix(">") ? String(target.dropFirst().dropLast()) : target
    }

    private static func withoutCodeSpans(_ line: String) -> String {
        var result = ""
        var inCode = false
        for character in line {
            if character == "`" {
                inCode.toggle()
                continue
            }
            if !inCode { result.append(character) }
        }
        return result
    }
}
