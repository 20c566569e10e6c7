internal import CGit2
import Foundation

/// Writes version 2 packs and their indexes directly: the objects of a batch (each whole, zlib-compressed, no
/// deltas), or the entries of several packs copied as they are (a roll-up).
///
/// libgit2's packbuilder does the same through its indexer, which inflates and hashes every object again and looks
/// for deltas; for the handful of objects of one commit that cost more than the rest of the commit. The format is
/// git's (`Documentation/gitformat-pack.txt`): the pack is `PACK`, version, count, the entries, and the SHA-1 of
/// all that; the index is the fan-out table, the sorted ids, each entry's CRC-32 and offset, the pack's checksum and
/// its own.
enum PackWriter {
    /// One object of a pack: its id, where its entry starts and the CRC-32 of the entry's bytes.
    struct Entry {
        var id: [UInt8]
        var offset: Int
        var crc: UInt32
    }

    /// Writes `objects` (id, git type, contents) as a new pack in `directory`; returns its name (`pack-<sha>`).
    static func pack(_ objects: [(id: [UInt8], type: Int, data: [UInt8])], into directory: String) throws(GitError)
        -> String
    {
        var pack = header(count: objects.count)
        var entries: [Entry] = []
        entries.reserveCapacity(objects.count)
        let deflater = try Deflater()
        for object in objects {
            let start = pack.count
            pack += entryHeader(type: object.type, size: object.data.count)
            pack += try deflater.deflated(object.data)
            let crc = pack[start...].withUnsafeBytes { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
            entries.append(Entry(id: object.id, offset: start, crc: crc))
        }
        return try finish(pack, entries: entries, into: directory)
    }

    /// Writes one pack holding every object of the packs at `bases` (paths without the extension), copying their
    /// entries byte for byte; nil when one of them holds a delta (whose base is named by an offset in its own pack).
    ///
    /// The packs are mapped, not read, and the new one is written as it is made, so a roll-up of the biggest pack
    /// does not hold it in memory twice.
    static func rollUp(_ bases: [String], into directory: String) throws(GitError) -> String? {
        struct Piece {
            var source: Data
            var range: Range<Int>
            var entry: Entry
        }
        var pieces: [Piece] = []
        var seen = Set<[UInt8]>()
        var offset = 12
        for base in bases {
            guard let index = FileManager.default.contents(atPath: base + ".idx"),
                let data = try? Data(contentsOf: URL(fileURLWithPath: base + ".pack"), options: .alwaysMapped),
                data.count >= 32, let listed = readIndex(index)
            else { throw failure("cannot read the pack \(base)") }
            let sorted = listed.sorted { $0.offset < $1.offset }
            for (position, entry) in sorted.enumerated() {
                let end = position + 1 < sorted.count ? sorted[position + 1].offset : data.count - 20
                guard entry.offset >= 12, entry.offset < end, end <= data.count - 20 else {
                    throw failure("the pack \(base) has an entry out of place")
                }
                let type = Int(data[data.startIndex + entry.offset] >> 4) & 7
                guard (1...4).contains(type) else { return nil }
                guard seen.insert(entry.id).inserted else { continue }
                pieces.append(
                    Piece(
                        source: data,
                        range: entry.offset..<end,
                        entry: Entry(id: entry.id, offset: offset, crc: entry.crc)
                    )
                )
                offset += end - entry.offset
            }
        }
        guard offset < 0x7fff_0000 else { return nil }
        let temporary = "\(directory)/rollup-\(getpid()).pack.tmp"
        let file = try OutputFile(temporary)
        var hash = SHA1()
        let header = header(count: pieces.count)
        hash.update(header)
        try file.append(header)
        for piece in pieces {
            let start = piece.source.startIndex
            let slice = piece.source[(start + piece.range.lowerBound)..<(start + piece.range.upperBound)]
            hash.update(slice)
            try file.append(slice)
        }
        let checksum = hash.finish()
        try file.append(checksum)
        try file.close()
        let name = "pack-" + hex(checksum)
        guard rename(temporary, "\(directory)/\(name).pack") == 0 else {
            unlink(temporary)
            throw failure("cannot name the pack \(name) (errno \(errno))")
        }
        try writeIndex(for: pieces.map(\.entry), checksum: checksum, name: name, into: directory)
        return name
    }

    /// The entries a version 2 index lists; nil when it is not one (or needs 64-bit offsets).
    static func readIndex(_ data: Data) -> [Entry]? {
        let bytes = [UInt8](data)
        let fanout = 8
        guard bytes.count >= fanout + 1024 + 40, bytes[0..<4] == [0xff, 0x74, 0x4f, 0x63], word(bytes, 4) == 2
        else { return nil }
        let count = Int(word(bytes, fanout + 255 * 4))
        let ids = fanout + 1024
        let crcs = ids + count * 20
        let offsets = crcs + count * 4
        guard bytes.count >= offsets + count * 4 + 40 else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let offset = word(bytes, offsets + index * 4)
            guard offset & 0x8000_0000 == 0 else { return nil }
            entries.append(
                Entry(
                    id: Array(bytes[ids + index * 20..<ids + index * 20 + 20]),
                    offset: Int(offset),
                    crc: word(bytes, crcs + index * 4)
                )
            )
        }
        return entries
    }

    // MARK: - Helpers

    /// Appends the pack's checksum, writes the pack and then its index (a reader finds a pack by its index), each
    /// through a temporary name; returns the pack's name.
    private static func finish(_ content: [UInt8], entries: [Entry], into directory: String) throws(GitError)
        -> String
    {
        guard content.count < 0x8000_0000 else { throw failure("a pack of 2 GB or more needs 64-bit offsets") }
        var hash = SHA1()
        hash.update(content)
        let checksum = hash.finish()
        let name = "pack-" + hex(checksum)
        let path = "\(directory)/\(name).pack"
        let file = try OutputFile(path + ".tmp")
        try file.append(content)
        try file.append(checksum)
        try file.close()
        guard rename(path + ".tmp", path) == 0 else {
            unlink(path + ".tmp")
            throw failure("cannot name the pack \(name) (errno \(errno))")
        }
        try writeIndex(for: entries, checksum: checksum, name: name, into: directory)
        return name
    }

    /// Writes the index of the pack `name`, whose checksum is `checksum`.
    private static func writeIndex(for entries: [Entry], checksum: [UInt8], name: String, into directory: String)
        throws(GitError)
    {
        let sorted = entries.sorted { $0.id.lexicographicallyPrecedes($1.id) }
        var index: [UInt8] = [0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]
        index.reserveCapacity(8 + 1024 + sorted.count * 28 + 40)
        var counts = [UInt32](repeating: 0, count: 256)
        for entry in sorted { counts[Int(entry.id[0])] += 1 }
        var running: UInt32 = 0
        for count in counts {
            running += count
            index += bigEndian(running)
        }
        for entry in sorted { index += entry.id }
        for entry in sorted { index += bigEndian(entry.crc) }
        for entry in sorted { index += bigEndian(UInt32(entry.offset)) }
        index += checksum
        var hash = SHA1()
        hash.update(index)
        index += hash.finish()
        let path = "\(directory)/\(name).idx"
        let file = try OutputFile(path + ".tmp")
        try file.append(index)
        try file.close()
        guard rename(path + ".tmp", path) == 0 else {
            unlink(path + ".tmp")
            throw failure("cannot name the index \(path) (errno \(errno))")
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    private static func header(count: Int) -> [UInt8] {
        [0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2] + bigEndian(UInt32(count))
    }

    /// An entry's type and size: three bits of type and four of size in the first byte, seven more bits of size in
    /// each byte after it, the high bit saying another follows.
    private static func entryHeader(type: Int, size: Int) -> [UInt8] {
        var size = size
        var byte = UInt8(type << 4) | UInt8(size & 0x0f)
        size >>= 4
        var bytes: [UInt8] = []
        while size > 0 {
            bytes.append(byte | 0x80)
            byte = UInt8(size & 0x7f)
            size >>= 7
        }
        bytes.append(byte)
        return bytes
    }

    /// zlib at level 1 with a small window, one stream for all the objects of a pack: the objects are small, mostly
    /// trees and JSON, which level 6 (git's default) packs a few percent tighter for several times the CPU; and a
    /// stream of its own for each (`compress2`) allocates and clears a quarter of a megabyte per object, more than
    /// compressing one.
    private final class Deflater {
        private var stream = z_stream()

        init() throws(GitError) {
            let code = tollgate_deflate_init(&stream, Z_BEST_SPEED)
            guard code == Z_OK else { throw failure("zlib could not start compressing (\(code))") }
        }

        deinit { deflateEnd(&stream) }

        func deflated(_ data: [UInt8]) throws(GitError) -> [UInt8] {
            guard deflateReset(&stream) == Z_OK else { throw failure("zlib could not compress an object") }
            var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))))
            let code = output.withUnsafeMutableBufferPointer { target in
                data.withUnsafeBufferPointer { source in
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                    stream.avail_in = uInt(source.count)
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return deflate(&stream, Z_FINISH)
                }
            }
            guard code == Z_STREAM_END else { throw failure("zlib could not compress an object (\(code))") }
            output.removeSubrange(Int(stream.total_out)...)
            return output
        }
    }

    /// SHA-1, fed in pieces (mbedTLS, which libgit2 is built with).
    private struct SHA1 {
        private var context = mbedtls_sha1_context()

        init() {
            mbedtls_sha1_init(&context)
            _ = mbedtls_sha1_starts_ret(&context)
        }

        mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
            bytes.withUnsafeBytes { raw in
                _ = mbedtls_sha1_update_ret(&context, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
            }
        }

        mutating func finish() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: 20)
            _ = mbedtls_sha1_finish_ret(&context, &digest)
            mbedtls_sha1_free(&context)
            return digest
        }
    }

    /// A file written with POSIX calls (no `fsync`, as git does not by default), read-only as git's packs are;
    /// removed if it is dropped before ``close()``.
    private final class OutputFile {
        let path: String
        private var descriptor: Int32

        init(_ path: String) throws(GitError) {
            self.path = path
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o444)
            guard descriptor >= 0 else { throw failure("cannot create \(path) (errno \(errno))") }
        }

        deinit {
            if descriptor >= 0 {
                _ = closeDescriptor(descriptor)
                unlink(path)
            }
        }

        func append<Bytes: ContiguousBytes>(_ bytes: Bytes) throws(GitError) {
            let descriptor = self.descriptor
            let complete = bytes.withUnsafeBytes { raw -> Bool in
                var written = 0
                while written < raw.count, let base = raw.baseAddress {
                    let count = writeDescriptor(descriptor, base + written, raw.count - written)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { return false }
                    written += count
                }
                return true
            }
            guard complete else { throw failure("cannot write \(path) (errno \(errno))") }
        }

        func close() throws(GitError) {
            let code = closeDescriptor(descriptor)
            descriptor = -1
            guard code == 0 else {
                unlink(path)
                throw failure("cannot write \(path) (errno \(errno))")
            }
        }
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static func failure(_ message: String) -> GitError {
        GitError(code: GIT_ERROR.rawValue, message: message, operation: "write a pack")
    }
}

/// `write(2)` and `close(2)`, out of the reach of methods of the same names.
private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
