internal import CGit2
import Foundation

extension Repository {
    // MARK: - Writing new objects as packs

    /// From now on, objects this repository writes (blobs, trees, commits) wait in memory and go to disk together.
    ///
    /// They go as one pack, just before a reference, HEAD or the index is made to point at them; a batch of one or
    /// two objects is written loose instead (a pack is two files). A process that ends first leaves nothing behind:
    /// no reference points at what was lost.
    ///
    /// Each loose object is a file of its own, and on a busy file system creating a file costs more than the rest of
    /// a small commit; a pack holds a whole commit's new objects (or a state commit's three) in two. Packs are
    /// consolidated as they accumulate: once there are more than `maxPacks`, the smaller ones are rolled up into one
    /// so that each remaining pack holds at least twice as many objects as all smaller ones together (git's
    /// `repack --geometric=2`), which keeps the count near the logarithm of the object count and writes each object
    /// again only a few times. Packs with a `.keep` or `.promisor` file are left alone.
    ///
    /// Calling it again only changes `maxPacks`.
    public func packNewObjects(maxPacks: Int = 16) throws(GitError) {
        if let objectBatch {
            objectBatch.maxPacks = max(2, maxPacks)
            return
        }
        let batch = ObjectBatch(maxPacks: max(2, maxPacks), objectsDirectory: try objectsDirectory())
        try withObjectDatabase { (odb) throws(GitError) in try batch.attach(to: odb) }
        objectBatch = batch
    }

    /// Objects written since the last reference update that are still only in memory (see ``packNewObjects(maxPacks:)``).
    public var pendingObjectCount: Int { objectBatch?.count ?? 0 }

    /// Writes the objects waiting in memory, if any (see ``packNewObjects(maxPacks:)``), and consolidates the packs
    /// when there are too many.
    ///
    /// Every GitKit call that moves a reference, HEAD or the index does this first.
    public func writePendingObjects() throws(GitError) {
        guard let batch = objectBatch, batch.count > 0 else { return }
        if batch.count <= ObjectBatch.largestLooseBatch {
            try batch.writeLoose()
        } else {
            try batch.writeAsPack()
            try withObjectDatabase { (odb) throws(GitError) in
                _ = try git("refresh the object database") { git_odb_refresh(odb) }
            }
        }
        batch.removeAll()
        // Counting needs only the folder's names; the indexes are read when there are too many.
        if try packFileNames().count > batch.maxPacks { try consolidatePacks() }
    }

    /// Writes an object of `type` with `contents` and returns its id: into the batch when objects are batched
    /// (``packNewObjects(maxPacks:)``), else through libgit2.
    ///
    /// `git_odb_write` first asks every backend whether it has the object, and when none has it (a new object,
    /// the usual case) reads the pack folder again before asking a second time: about twenty system calls, some
    /// twenty times a phase. Here the question is asked once, without that refresh; an object in a pack this
    /// process has not seen yet is then written again, which only costs its bytes.
    func writeObject(_ contents: UnsafeRawBufferPointer, type: git_object_t) throws(GitError) -> OID {
        var raw = git_oid()
        guard let batch = objectBatch else {
            _ = try withObjectDatabase { (odb) throws(GitError) in
                try git("write an object") { git_odb_write(&raw, odb, contents.baseAddress, contents.count, type) }
            }
            return OID(raw)
        }
        try git("hash an object") { git_odb_hash(&raw, contents.baseAddress, contents.count, type) }
        if batch.contains(raw) { return OID(raw) }
        let known = try withObjectDatabase { (odb) throws(GitError) in
            git_odb_exists_ext(odb, &raw, UInt32(GIT_ODB_LOOKUP_NO_REFRESH.rawValue)) == 1
        }
        if !known { try batch.insert(raw, type: type, contents: contents) }
        return OID(raw)
    }

    /// ``writeObject(_:type:)`` for contents in a `Data` or an array.
    func writeObject(_ contents: some ContiguousBytes, type: git_object_t) throws(GitError) -> OID {
        var outcome = Result<OID, GitError>.failure(GitError(code: -1, message: "not written", operation: "write"))
        contents.withUnsafeBytes { bytes in
            outcome = Result { () throws(GitError) in try writeObject(bytes, type: type) }
        }
        return try outcome.get()
    }

    /// The packs in `objects/pack` (by file name, without the extension), each with its object count and whether it
    /// may be rolled up (no `.keep`, no `.promisor`).
    public func packs() throws(GitError) -> [(name: String, objects: Int, movable: Bool)] {
        try packFiles().map { ($0.name, $0.objects, $0.movable) }
    }

    // MARK: - Consolidation

    /// Rolls the smaller packs up into one, git's geometric repack with a factor of 2: packs sorted by object count,
    /// the smallest ones merged until every pack left holds at least twice the objects of all smaller ones together.
    private func consolidatePacks() throws(GitError) {
        let movable = try packFiles().filter(\.movable).sorted { $0.objects < $1.objects }
        guard movable.count > 1 else { return }
        var split = movable.count - 1
        while split > 0, movable[split].objects >= 2 * movable[split - 1].objects { split -= 1 }
        if split > 0 { split += 1 }
        var rolled = movable[..<split].reduce(0) { $0 + $1.objects }
        while split < movable.count, movable[split].objects < 2 * rolled {
            rolled += movable[split].objects
            split += 1
        }
        let limit = objectBatch?.maxPacks ?? movable.count
        if split < 2 && movable.count > limit {
            // Already a progression, but too many: the smallest go together, whatever their sizes.
            split = movable.count - limit + 1
        }
        guard split >= 2 else { return }
        let merged = Array(movable[..<split])
        // Entries copied as they are; packs with deltas (git's, or a fetch's) go through libgit2's packbuilder.
        let directory = try objectsDirectory() + "/pack"
        if try PackWriter.rollUp(merged.map(\.base), into: directory) == nil {
            var ids: [git_oid] = []
            var seen = Set<ObjectBatch.Key>()
            for pack in merged {
                for id in try Self.objectIDs(inIndex: pack.index) where seen.insert(ObjectBatch.Key(id)).inserted {
                    ids.append(id)
                }
            }
            try writePack(of: ids)
        }
        for pack in merged {
            for suffix in [".idx", ".pack", ".rev", ".bitmap"] {
                unlink(pack.base + suffix)
            }
        }
        // libgit2 never forgets a pack it opened (a refresh only adds), so the rolled-up ones go with a new object
        // database, which finds the packs as they are now.
        try reopenObjectDatabase()
    }

    /// Writes `ids` (objects the database has) as one new pack in `objects/pack`.
    private func writePack(of ids: [git_oid]) throws(GitError) {
        var builder: OpaquePointer?
        try git("write a pack") { git_packbuilder_new(&builder, pointer) }
        defer { git_packbuilder_free(builder) }
        git_packbuilder_set_threads(builder, 1)
        for var id in ids {
            try git("write a pack") { git_packbuilder_insert(builder, &id, nil) }
        }
        try git("write a pack") { git_packbuilder_write(builder, nil, 0, nil, nil) }
    }

    /// Replaces the repository's object database with a new one over the same folder (the batch backend included).
    private func reopenObjectDatabase() throws(GitError) {
        let directory = try objectsDirectory()
        var fresh: OpaquePointer?
        try git("open the object database") { git_odb_open(&fresh, directory) }
        defer { git_odb_free(fresh) }
        try objectBatch?.attach(to: fresh)
        try git("open the object database") { git_repository_set_odb(pointer, fresh) }
    }

    /// A pack of `objects/pack`: its path without the extension, its object count, whether it may be rolled up.
    private struct PackFile {
        var name: String
        var base: String
        var objects: Int
        var movable: Bool
        var index: String { base + ".idx" }
    }

    /// The names in `objects/pack`.
    private func packFileNames() throws(GitError) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: try objectsDirectory() + "/pack")) ?? []
        return names.filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }
    }

    private func packFiles() throws(GitError) -> [PackFile] {
        let directory = try objectsDirectory() + "/pack"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let present = Set(names)
        return names.filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }.sorted().compactMap { file in
            let name = String(file.dropLast(4))
            guard present.contains(name + ".pack"), let objects = Self.objectCount(inIndex: "\(directory)/\(file)")
            else { return nil }
            let movable = !present.contains(name + ".keep") && !present.contains(name + ".promisor")
            return PackFile(name: name, base: "\(directory)/\(name)", objects: objects, movable: movable)
        }
    }

    /// The object count of a version 2 pack index: the last entry of its fan-out table.
    private static func objectCount(inIndex path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 8 + 256 * 4), header.count == 8 + 256 * 4,
            header.prefix(4) == Data([0xff, 0x74, 0x4f, 0x63]), bigEndian(header, at: 4) == 2
        else { return nil }
        return Int(bigEndian(header, at: 8 + 255 * 4))
    }

    /// The object ids of a version 2 pack index, in its (sorted) order.
    private static func objectIDs(inIndex path: String) throws(GitError) -> [git_oid] {
        guard let data = FileManager.default.contents(atPath: path), let count = objectCount(inIndex: path),
            data.count >= 8 + 256 * 4 + count * 20
        else {
            throw GitError(code: GIT_ERROR.rawValue, message: "cannot read the pack index \(path)", operation: "repack")
        }
        let start = 8 + 256 * 4
        return (0..<count).map { index in
            var id = git_oid()
            withUnsafeMutableBytes(of: &id.id) { target in
                let offset = data.startIndex + start + index * 20
                target.copyBytes(from: data[offset..<offset + 20])
            }
            return id
        }
    }

    private static func bigEndian(_ data: Data, at offset: Int) -> UInt32 {
        data[data.startIndex + offset..<data.startIndex + offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    // MARK: - Helpers

    /// `<git dir>/objects`.
    private func objectsDirectory() throws(GitError) -> String {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try git("find the object database") {
            git_repository_item_path(&buffer, pointer, GIT_REPOSITORY_ITEM_OBJECTS)
        }
        var path = String(cString: buffer.ptr)
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Lends the repository's object database to `body`.
    private func withObjectDatabase<T>(_ body: (OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
        var odb: OpaquePointer?
        try git("open the object database") { git_repository_odb(&odb, pointer) }
        defer { git_odb_free(odb) }
        return try body(odb)
    }
}

/// The objects a repository keeps in memory until they are written as one pack, served to libgit2 as an object
/// database backend of the highest priority: every write lands here, and reads find the objects here first.
final class ObjectBatch {
    /// Batches of at most this many objects are written loose (a pack is two files).
    static let largestLooseBatch = 2

    /// A git object id as a dictionary key.
    struct Key: Hashable {
        let high: UInt64
        let middle: UInt64
        let low: UInt32

        init(_ id: git_oid) {
            var id = id
            (high, middle, low) = withUnsafeBytes(of: &id.id) { bytes in
                (
                    bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
                )
            }
        }
    }

    private struct Stored {
        var id: git_oid
        var type: git_object_t
        var data: [UInt8]
    }

    var maxPacks: Int
    let objectsDirectory: String
    private var objects: [Key: Stored] = [:]
    private var order: [Key] = []
    /// libgit2's loose backend, used directly for the small batches.
    private var loose: UnsafeMutablePointer<git_odb_backend>?

    init(maxPacks: Int, objectsDirectory: String) {
        self.maxPacks = maxPacks
        self.objectsDirectory = objectsDirectory
    }

    deinit {
        if let loose { loose.pointee.free?(loose) }
    }

    var count: Int { order.count }

    /// The ids waiting, in the order they were written.
    var ids: [git_oid] { order.compactMap { objects[$0]?.id } }

    /// The objects waiting, in the order they were written: id, git type, contents.
    var contents: [(id: [UInt8], type: Int, data: [UInt8])] {
        order.compactMap { key in
            guard var object = objects[key] else { return nil }
            let id = withUnsafeBytes(of: &object.id.id) { Array($0) }
            return (id, Int(object.type.rawValue), object.data)
        }
    }

    /// The bytes of the objects waiting.
    var bytes = 0

    /// Past this many bytes waiting, the batch is written at once, whatever comes next.
    static let largestBatchBytes = 32 << 20

    /// Whether object `id` waits here.
    func contains(_ id: git_oid) -> Bool { objects[Key(id)] != nil }

    /// Keeps object `id` of `type` until the batch is written.
    func insert(_ id: git_oid, type: git_object_t, contents: UnsafeRawBufferPointer) throws(GitError) {
        let key = Key(id)
        guard objects[key] == nil else { return }
        objects[key] = Stored(id: id, type: type, data: Array(contents))
        order.append(key)
        bytes += contents.count
        // An agent that writes big files does not make the batch hold them all: past a bound, what waits goes to
        // disk now (objects nothing names yet, as loose ones were; a later read finds the pack).
        guard bytes > ObjectBatch.largestBatchBytes else { return }
        try writeAsPack()
        removeAll()
    }

    func removeAll() {
        objects.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        bytes = 0
    }

    /// Writes every waiting object as one pack in `objects/pack`.
    func writeAsPack() throws(GitError) {
        _ = try PackWriter.pack(contents, into: objectsDirectory + "/pack")
    }

    /// Writes every waiting object as a loose object file.
    func writeLoose() throws(GitError) {
        if loose == nil {
            var backend: UnsafeMutablePointer<git_odb_backend>?
            try git("open the loose objects") { git_odb_backend_loose(&backend, objectsDirectory, -1, 0, 0, 0) }
            loose = backend
        }
        guard let loose, let write = loose.pointee.write else { return }
        for key in order {
            guard var object = objects[key] else { continue }
            let code = object.data.withUnsafeBytes { bytes in
                write(loose, &object.id, bytes.baseAddress, bytes.count, object.type)
            }
            try git("write a loose object") { code }
        }
    }

    /// Adds a backend serving this batch to `odb`, above every other one.
    func attach(to odb: OpaquePointer?) throws(GitError) {
        let backend = UnsafeMutablePointer<tollgate_memory_backend>.allocate(capacity: 1)
        backend.initialize(to: tollgate_memory_backend())
        // `parent` is the struct's first field: the same address, as libgit2 sees it.
        let parent = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: git_odb_backend.self)
        try git("make the batch backend") { git_odb_init_backend(parent, UInt32(GIT_ODB_BACKEND_VERSION)) }
        backend.pointee.store = Unmanaged.passRetained(self).toOpaque()
        backend.pointee.parent.read = { data, length, type, backend, id in
            guard let id, let object = ObjectBatch.serving(backend)?.objects[Key(id.pointee)] else {
                return GIT_ENOTFOUND.rawValue
            }
            guard let buffer = git_odb_backend_data_alloc(backend, max(object.data.count, 1)) else { return -1 }
            object.data.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
            }
            data?.pointee = buffer
            length?.pointee = object.data.count
            type?.pointee = object.type
            return 0
        }
        backend.pointee.parent.read_header = { length, type, backend, id in
            guard let id, let object = ObjectBatch.serving(backend)?.objects[Key(id.pointee)] else {
                return GIT_ENOTFOUND.rawValue
            }
            length?.pointee = object.data.count
            type?.pointee = object.type
            return 0
        }
        backend.pointee.parent.write = { backend, id, data, length, type in
            guard let id, let batch = ObjectBatch.serving(backend) else { return -1 }
            do {
                try batch.insert(id.pointee, type: type, contents: UnsafeRawBufferPointer(start: data, count: length))
            } catch {
                return -1
            }
            return 0
        }
        backend.pointee.parent.exists = { backend, id in
            guard let id, let batch = ObjectBatch.serving(backend) else { return 0 }
            return batch.objects[Key(id.pointee)] == nil ? 0 : 1
        }
        backend.pointee.parent.foreach = { backend, callback, payload in
            guard let batch = ObjectBatch.serving(backend), let callback else { return 0 }
            for var id in batch.ids {
                let code = callback(&id, payload)
                if code != 0 { return code }
            }
            return 0
        }
        backend.pointee.parent.free = { backend in
            guard let backend else { return }
            let own = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: tollgate_memory_backend.self)
            if let store = own.pointee.store { Unmanaged<ObjectBatch>.fromOpaque(store).release() }
            own.deinitialize(count: 1)
            own.deallocate()
        }
        let added = git_odb_add_backend(odb, parent, 1000)
        guard added >= 0 else {
            let error = GitError.last(code: added, operation: "add the batch backend")
            parent.pointee.free?(parent)
            throw error
        }
    }

    /// The batch a backend of ``attach(to:)`` serves.
    private static func serving(_ backend: UnsafeMutablePointer<git_odb_backend>?) -> ObjectBatch? {
        guard let backend else { return nil }
        let own = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: tollgate_memory_backend.self)
        guard let store = own.pointee.store else { return nil }
        return Unmanaged<ObjectBatch>.fromOpaque(store).takeUnretainedValue()
    }
}
