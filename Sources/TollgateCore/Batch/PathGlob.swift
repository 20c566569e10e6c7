/// A glob over repository paths (`chapters/*.md`, `docs/**/*.md`): which tracked files a batch takes.
///
/// Paths and patterns are split at `/` and matched folder by folder. Within one name, `*` matches any run of
/// characters (none included) and `?` any one character, never a `/`; every other character matches itself. A name
/// that is exactly `**` matches any number of folders, none included (`docs/**/*.md` takes `docs/a.md` and
/// `docs/x/y/a.md`; a trailing `**` takes everything under its folder). A pattern matches a whole path, never a part.
public struct PathGlob: Sendable, Equatable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    private let segments: [String]

    /// Reads `pattern`; nil when it is empty, absolute, or names `.` or `..` (a repository path never does).
    public init?(_ pattern: String) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !pattern.isEmpty, !pattern.hasPrefix("/"),
            !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else { return nil }
        self.pattern = pattern
        self.segments = segments
    }

    public var description: String { pattern }

    /// Whether `path` (a repository path: folders joined by `/`) matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        let names = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !names.contains("") else { return false }  // no repository path has an empty name
        return Self.match(segments[...], names[...])
    }

    /// The paths of `paths` that match at least one of `globs`, each once, sorted.
    public static func select(_ paths: [String], matching globs: [PathGlob]) -> [String] {
        Set(paths.filter { path in globs.contains { $0.matches(path) } }).sorted()
    }

    private static func match(_ pattern: ArraySlice<String>, _ names: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return names.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            // Zero folders, then one more at a time.
            var remaining = names
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let name = names.first, matchName(Array(first), Array(name)) else { return false }
        return match(pattern.dropFirst(), names.dropFirst())
    }

    /// One name against one pattern name, `*` and `?` as wildcards (iterative, with one backtracking point).
    private static func matchName(_ pattern: [Character], _ name: [Character]) -> Bool {
        var p = 0
        var n = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = n
                p += 1
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
