import Foundation
import TollgateTestSupport

/// A fresh directory under the system's temporary directory, removed again when the object goes away.
///
/// Bind it to a name for as long as the test uses the directory (`let (_, …)` would delete it at once).
final class TemporaryDirectory {
    /// The directory's location.
    let url: URL

    /// Creates an empty directory whose name starts with `name` (by default the calling test's name).
    init(_ name: String = #function) throws {
        let safeName = name.filter { $0.isLetter || $0.isNumber }
        url = TollgateTestSupport.TemporaryDirectory.root
            .appendingPathComponent("GitKitTests-\(safeName)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The location of a relative path inside the directory.
    func path(_ relative: String) -> URL {
        url.appendingPathComponent(relative)
    }

    /// Writes text to a relative path, creating intermediate directories.
    func write(_ text: String, to relative: String) throws {
        let file = path(relative)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: file)
    }

    /// The text at a relative path; nil when there is no such file.
    func read(_ relative: String) -> String? {
        (try? Data(contentsOf: path(relative))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Deletes the file at a relative path.
    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: path(relative))
    }
}
