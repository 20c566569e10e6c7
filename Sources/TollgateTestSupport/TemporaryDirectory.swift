import Foundation

/// A fresh directory for one test, removed when the value is released (unless `TOLLGATE_KEEP_TEST_DIRS` is set, to
/// look at a failed test's workspaces).
public final class TemporaryDirectory: Sendable {
    public let url: URL

    /// Creates `<tmp>/tollgate-<label>-<uuid>`.
    public init(_ label: String = "test") throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
            .standardizedFileURL
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Resolve /tmp symlinks so paths printed by the engine compare equal.
        self.url = url.resolvingSymlinksInPath()
    }

    deinit {
        if ProcessInfo.processInfo.environment["TOLLGATE_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// A path inside the directory (not created).
    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Writes `text` to `relative`, creating folders; returns the file's URL.
    @discardableResult
    public func write(_ relative: String, _ text: String, executable: Bool = false) throws -> URL {
        let file = path(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path) }
        return file
    }
}
