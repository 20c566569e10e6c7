internal import CGit2
import Foundation

extension Repository {
    /// Writes the tree `index` describes and returns its id: `git write-tree`.
    ///
    /// `git_index_write_tree` rebuilds each folder its cache no longer vouches for through a tree builder, then reads
    /// the whole tree it wrote back from the object database, every subtree parsed, to rebuild that cache: at phase
    /// 300 of the bench job, with 300 files in each of two folders, nearly a millisecond a commit. Here each folder's
    /// tree is serialized straight from the index entries, in one pass (the index's order is the trees' order), and
    /// compared byte for byte with what the same folder serialized to the last time: only a folder whose contents
    /// changed is hashed and written. Nothing is assumed about what changed in between, so whoever else wrote the
    /// index (a checkout, an agent's `git add`) costs nothing more than a folder rewritten.
    func indexTree(_ index: OpaquePointer) throws(GitError) -> OID {
        guard git_index_has_conflicts(index) == 0 else {
            throw GitError(
                code: GIT_EUNMERGED.rawValue,
                message: "cannot create a tree from a not fully merged index",
                operation: "write tree"
            )
        }
        var writer = IndexTreeWriter(previous: indexTrees)
        let count = git_index_entrycount(index)
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index, position), let path = entry.pointee.path else { continue }
            if UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue != 0 {
                // An entry added with `--intent-to-add`: what it means for a tree is libgit2's to decide.
                indexTrees = [:]
                var raw = git_oid()
                try git("write tree") { git_index_write_tree(&raw, index) }
                return OID(raw)
            }
            let length = strlen(path)
            // The entry's folder: everything before its last slash.
            var slash = length
            while slash > 0 && path[slash - 1] != 0x2F { slash -= 1 }
            let folder = UnsafeBufferPointer(
                start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self),
                count: max(slash - 1, 0)
            )
            try writer.enter(folder, repository: self)
            var id = entry.pointee.id
            withUnsafeBytes(of: &id) { raw in
                writer.append(
                    mode: entry.pointee.mode,
                    name: UnsafeBufferPointer(
                        start: UnsafeRawPointer(path + slash).assumingMemoryBound(to: UInt8.self),
                        count: length - slash
                    ),
                    id: raw.prefix(20)
                )
            }
        }
        let root = try writer.finish(repository: self)
        indexTrees = writer.written
        return root
    }

    /// Writes one tree object (its serialized entries) to the object database.
    fileprivate func writeTreeObject(_ body: [UInt8]) throws(GitError) -> OID {
        try writeObject(body, type: GIT_OBJECT_TREE)
    }
}

/// A folder's tree as last written: its serialized entries and its id.
struct IndexTree {
    var body: [UInt8]
    var id: OID
}

/// The folders being serialized while the index is read in order: the open ones from the root down.
private struct IndexTreeWriter {
    /// What each folder serialized to the last time, by path (the root is "").
    let previous: [[UInt8]: IndexTree]
    /// This time's.
    var written: [[UInt8]: IndexTree] = [:]
    /// The open folders, the root first: each one's path and the entries serialized so far.
    private var open: [(path: [UInt8], body: [UInt8])] = [([], [])]

    init(previous: [[UInt8]: IndexTree]) {
        self.previous = previous
    }

    /// Makes `folder` the innermost open folder: closes those it is not inside, opens those between.
    mutating func enter(_ folder: UnsafeBufferPointer<UInt8>, repository: Repository) throws(GitError) {
        // Close every open folder `folder` is not inside (the root always stays).
        while open.count > 1, !Self.isInside(folder, open[open.count - 1].path) {
            try close(repository: repository)
        }
        guard let innermost = open.last, innermost.path.count < folder.count else { return }
        // Open the folders from the innermost open one down to `folder`, one path component at a time.
        var start = innermost.path.isEmpty ? 0 : innermost.path.count + 1
        while start <= folder.count {
            var end = start
            while end < folder.count && folder[end] != 0x2F { end += 1 }
            open.append((Array(folder[0..<end]), []))
            start = end + 1
        }
    }

    /// Appends an entry to the innermost open folder: `mode` in octal, a space, the name, a NUL, the 20-byte id.
    mutating func append(mode: UInt32, name: UnsafeBufferPointer<UInt8>, id: Slice<UnsafeRawBufferPointer>) {
        let last = open.count - 1
        Self.appendMode(mode, to: &open[last].body)
        open[last].body.append(0x20)
        open[last].body.append(contentsOf: name)
        open[last].body.append(0)
        open[last].body.append(contentsOf: id)
    }

    /// Closes every folder still open and returns the root's id.
    mutating func finish(repository: Repository) throws(GitError) -> OID {
        while open.count > 1 { try close(repository: repository) }
        return try store(open[0].path, open[0].body, repository: repository)
    }

    /// Closes the innermost open folder: its tree is written (unless unchanged) and named in its parent.
    private mutating func close(repository: Repository) throws(GitError) {
        guard let (path, body) = open.popLast() else { return }
        let id = try store(path, body, repository: repository)
        let name = path.lastIndex(of: 0x2F).map { path[(path.index(after: $0))...] } ?? path[...]
        let last = open.count - 1
        open[last].body.append(contentsOf: Array("40000 ".utf8))
        open[last].body.append(contentsOf: name)
        open[last].body.append(0)
        var raw = id.raw
        withUnsafeBytes(of: &raw) { open[last].body.append(contentsOf: $0.prefix(20)) }
    }

    /// The id of folder `path`'s tree: the last one's when the entries are the same, else the one written now.
    private mutating func store(_ path: [UInt8], _ body: [UInt8], repository: Repository) throws(GitError) -> OID {
        if let known = previous[path], known.body == body {
            written[path] = known
            return known.id
        }
        let tree = IndexTree(body: body, id: try repository.writeTreeObject(body))
        written[path] = tree
        return tree.id
    }

    /// Whether `folder` is `parent` or inside it.
    private static func isInside(_ folder: UnsafeBufferPointer<UInt8>, _ parent: [UInt8]) -> Bool {
        guard folder.count >= parent.count else { return false }
        for offset in 0..<parent.count where folder[offset] != parent[offset] { return false }
        return folder.count == parent.count || folder[parent.count] == 0x2F
    }

    /// A tree entry's mode as git writes it: octal, no leading zero (`100644`, `100755`, `120000`, `160000`).
    private static func appendMode(_ mode: UInt32, to body: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = mode
        repeat {
            digits.append(0x30 + UInt8(rest & 7))
            rest >>= 3
        } while rest > 0
        body.append(contentsOf: digits.reversed())
    }
}
