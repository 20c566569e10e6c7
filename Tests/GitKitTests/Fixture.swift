import Foundation
import GitKit
import Testing

/// Shared test values: fixed signatures (no user configuration involved) and small repository shortcuts.
enum Fixture {
    static let author = Signature(
        name: "Ada Author",
        email: "ada@example.com",
        date: Date(timeIntervalSince1970: 1_700_000_000)
    )
    static let committer = Signature(
        name: "Cy Committer",
        email: "cy@example.com",
        date: Date(timeIntervalSince1970: 1_700_000_100)
    )

    /// A new repository with HEAD on an unborn `main`, in a fresh temporary directory.
    static func repository(_ name: String = #function) throws -> (TemporaryDirectory, Repository) {
        let directory = try TemporaryDirectory(name)
        return (directory, try Repository.create(at: directory.url))
    }

    /// Commits the whole working tree and requires that a commit was made.
    @discardableResult
    static func commitAll(
        _ repository: Repository,
        _ message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> OID {
        try #require(
            try repository.commitWorkingTree(message: message, author: author, committer: committer),
            sourceLocation: sourceLocation
        )
    }

    /// Writes files into the working tree.
    static func write(_ files: [String: String], in directory: TemporaryDirectory) throws {
        for (path, text) in files { try directory.write(text, to: path) }
    }
}
