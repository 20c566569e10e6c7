import Foundation

/// A fresh directory for one test, removed when the value is released (unless `TOLLGATE_KEEP_TEST_DIRS` is set, to
/// look at a failed test's workspaces).
public final class TemporaryDirectory: Sendable {
    public let url: URL

    /// Where the tests' folders go: `/dev/shm` when the machine has it, else the system's temporary directory.
    ///
    /// In memory because the suite makes and deletes tens of thousands of files, and on a disk file creation after
    /// many deletions is much of the kernel's time (`docs/testing.md`). `TOLLGATE_TEST_TMPDIR` names another
    /// folder (a disk, to run the suite where a user's workspace would be).
    public static let root: URL = {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["TOLLGATE_TEST_TMPDIR"], chosen.hasPrefix("/") {
            return URL(fileURLWithPath: chosen, isDirectory: true)
        }
        let memory = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: memory.path, isDirectory: &isFolder), isFolder.boolValue,
            FileManager.default.isWritableFile(atPath: memory.path)
        {
            return memory
        }
        return FileManager.default.temporaryDirectory
    }()

    /// Creates `<root>/tollgate-<label>-<uuid>` (``root``).
    public init(_ label: String = "test") throws {
        let url = Self.root
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
