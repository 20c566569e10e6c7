import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file under a ``ProjectLedger``, opened for one change or one read while the caller holds the ledger's lock.
///
/// A log of books, one compact JSON line each (`<project>.ndjson`); the last line is the current book. A change
/// appends a line to the open file: no new file, no rename, one `fdatasync` when it must be on the disk before the
/// caller goes on. Only the first book and a compaction write a whole file (to a temporary one, `fsync`ed, renamed
/// over the log, the folder `fsync`ed), so the log always starts with a complete line; the log is compacted to
/// its last book when it passes ``compactionBytes``.
///
/// A last line that is not JSON is a write cut short by a crash (its change was never confirmed to anyone): the
/// line before it is the book, and the next append writes over the cut line. Anything else that cannot be read
/// is refused with the file's path, and the file is left as it is.
struct LedgerLog {
    /// The log passes this size, it is rewritten as its last book (a few hundred changes of a few jobs).
    static let compactionBytes = 64 * 1024

    let file: URL
    let legacyFile: URL
    /// The current book: the log's last, the legacy file's while there is no log, or an empty one.
    let book: LedgerBook
    /// The open log, -1 while there is none.
    private let descriptor: Int32
    /// The log's size when read, and where the current book's line ends (anything after it was cut short).
    private let size: Int
    private let end: Int
    /// Whether the log's last byte is a newline (a book line whose newline was cut needs one before the next).
    private let endsWithNewline: Bool

    /// Opens and reads the log, for appending when `forWriting`.
    init(file: URL, legacyFile: URL, forWriting: Bool) throws(LedgerError) {
        self.file = file
        self.legacyFile = legacyFile
        let descriptor = open(file.path, (forWriting ? O_RDWR | O_APPEND : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else {
            guard errno == ENOENT else {
                throw .unavailable(path: file.path, reason: String(cString: strerror(errno)))
            }
            self.descriptor = -1
            size = 0
            end = 0
            endsWithNewline = true
            book = try Self.legacyBook(legacyFile)
            return
        }
        self.descriptor = descriptor
        do throws(LedgerError) {
            let data = try Self.readAll(descriptor, path: file.path)
            let current = try Self.current(in: data, path: file.path)
            book = current.book
            end = current.end
            size = data.count
            endsWithNewline = data.last.map { $0 == UInt8(ascii: "\n") } ?? true
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
    }

    /// Appends `book` as the log's new last line, on the disk before returning when `durable`.
    func append(_ book: LedgerBook, durable: Bool) throws(LedgerError) {
        let line = try Self.line(book, path: file.path)
        guard descriptor >= 0, end + line.count <= max(Self.compactionBytes, 4 * line.count) else {
            try replace(with: line)
            return
        }
        var bytes = line
        if end < size {
            guard ftruncate(descriptor, off_t(end)) == 0 else { throw failure("cannot cut the unfinished line") }
        } else if !endsWithNewline {
            bytes.insert(UInt8(ascii: "\n"), at: 0)
        }
        try Self.writeAll(descriptor, bytes, path: file.path)
        if durable, fdatasync(descriptor) != 0 { throw failure("cannot flush it to the disk") }
    }

    // MARK: - Reading

    /// The book a log's bytes hold and where its line ends.
    static func current(in data: Data, path: String) throws(LedgerError) -> (book: LedgerBook, end: Int) {
        let bytes = [UInt8](data)
        let newline = UInt8(ascii: "\n")
        var lastEnd = bytes.count
        if bytes.last == newline { lastEnd -= 1 }
        let lastStart = bytes[..<lastEnd].lastIndex(of: newline).map { $0 + 1 } ?? 0
        if let book = try decodedBook(bytes[lastStart..<lastEnd], path: path) { return (book, bytes.count) }
        // The last line is not JSON: a write cut short. The line before it is the book.
        guard lastStart > 0 else { throw .corrupt(path: path, reason: "not a JSON object with a version") }
        let previousEnd = lastStart - 1
        let previousStart = bytes[..<previousEnd].lastIndex(of: newline).map { $0 + 1 } ?? 0
        guard let book = try decodedBook(bytes[previousStart..<previousEnd], path: path) else {
            throw .corrupt(path: path, reason: "its last two lines are not JSON objects with a version")
        }
        return (book, lastStart)
    }

    /// The book in `bytes`, nil when they are not a JSON object with a version at all.
    private static func decodedBook(_ bytes: ArraySlice<UInt8>, path: String) throws(LedgerError) -> LedgerBook? {
        let data = Data(bytes)
        struct Probe: Decodable { var version: Int }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else { return nil }
        guard probe.version == LedgerBook.currentVersion else {
            throw .unsupportedVersion(path: path, found: probe.version)
        }
        do {
            return try JSONDecoder().decode(LedgerBook.self, from: data)
        } catch {
            throw .corrupt(path: path, reason: DecodingProblem.sentence(error))
        }
    }

    /// The book of the single-object file of earlier versions, or an empty book when there is none.
    private static func legacyBook(_ url: URL) throws(LedgerError) -> LedgerBook {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            if !FileManager.default.fileExists(atPath: url.path) { return LedgerBook() }
            throw .unavailable(path: url.path, reason: "\(error.localizedDescription)")
        }
        guard let book = try decodedBook(ArraySlice(data), path: url.path) else {
            throw .corrupt(path: url.path, reason: "not a JSON object with a version")
        }
        return book
    }

    private static func readAll(_ descriptor: Int32, path: String) throws(LedgerError) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .unavailable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { return data }
            data.append(contentsOf: chunk[..<count])
        }
    }

    // MARK: - Writing

    private static func line(_ book: LedgerBook, path: String) throws(LedgerError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return [UInt8](try encoder.encode(book)) + [UInt8(ascii: "\n")]
        } catch {
            throw .unavailable(path: path, reason: "cannot encode it: \(error.localizedDescription)")
        }
    }

    /// Writes the log anew as the one line `line`: a temporary file, `fsync`ed, renamed over it, the folder
    /// `fsync`ed; then the legacy file, whose book the log now holds, goes.
    private func replace(with line: [UInt8]) throws(LedgerError) {
        let folder = file.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(file.lastPathComponent).\(getpid())")
        // A new file of its own: whatever is at the temporary name (a link, say) is removed, not written through.
        unlink(temporary.path)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary.lastPathComponent)") }
        do throws(LedgerError) {
            defer { _ = Glibc.close(descriptor) }
            try Self.writeAll(descriptor, line, path: file.path)
            guard fsync(descriptor) == 0 else { throw failure("cannot flush it to the disk") }
            guard rename(temporary.path, file.path) == 0 else { throw failure("cannot rename it into place") }
        } catch {
            unlink(temporary.path)
            throw error
        }
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            _ = Glibc.close(directory)
        }
        if unlink(legacyFile.path) != 0, errno != ENOENT {
            throw .unavailable(path: legacyFile.path, reason: "cannot remove it: \(String(cString: strerror(errno)))")
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(LedgerError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw .unavailable(path: path, reason: "cannot write it: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    private func failure(_ what: String) -> LedgerError {
        .unavailable(path: file.path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}
