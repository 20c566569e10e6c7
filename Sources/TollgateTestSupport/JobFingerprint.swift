import Foundation

/// What a finished job looks like from outside, to compare a job that was cut off and started again with one that
/// was not: `main`'s tree, the events, the working tree's files and the branches.
public struct JobFingerprint: Equatable, Sendable {
    public var mainTree: String
    public var events: [String]
    public var files: [String: Data]
    public var branches: String

    public init(mainTree: String, events: [String], files: [String: Data], branches: String) {
        self.mainTree = mainTree
        self.events = events
        self.files = files
        self.branches = branches
    }

    /// What differs from `expected`, a sentence each (none when the two are the same).
    public func differences(from expected: JobFingerprint) -> [String] {
        var found: [String] = []
        if mainTree != expected.mainTree { found.append("main's tree is \(mainTree), not \(expected.mainTree)") }
        if events != expected.events { found.append("the events are \(events), not \(expected.events)") }
        let paths = Set(files.keys).union(expected.files.keys).sorted()
        for path in paths where files[path] != expected.files[path] {
            found.append("\(path) differs (or is missing on one side)")
        }
        if branches != expected.branches { found.append("the branches are \(branches), not \(expected.branches)") }
        return found
    }

    /// Every regular file under `root` by its relative path, leaving out `.git`.
    public static func files(under root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = root.standardizedFileURL.path + "/"
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return files }
        for case let url as URL in walker {
            let relative = url.standardizedFileURL.path.replacingOccurrences(of: base, with: "")
            if relative == ".git" || relative.hasPrefix(".git/") {
                walker.skipDescendants()
                continue
            }
            if try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
                files[relative] = try Data(contentsOf: url)
            }
        }
        return files
    }
}
