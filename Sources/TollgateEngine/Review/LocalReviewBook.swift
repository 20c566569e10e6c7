import Foundation
import TollgateCore

/// The local review host's records, kept as `reviews.json` on the state branch.
struct LocalReviewBook: Codable, Sendable, Equatable {
    /// One review: the local counterpart of a pull request.
    struct Review: Codable, Sendable, Equatable {
        var number: Int
        var branch: String
        var title: String
        var body: String
        var state: ReviewSnapshot.State
        var head: String
        var entries: [ReviewEntry]
        var comments: [GeneralComment]
        var mergeCommit: String?
    }

    /// The next id for a review entry, an inline comment or a general comment (one sequence, as on Gitea).
    var nextID: Int = 1
    var reviews: [Review] = []

    static let fileName = "reviews.json"

    static func decode(_ data: Data?) throws -> LocalReviewBook {
        guard let data else { return LocalReviewBook() }
        return try JSONDecoder().decode(LocalReviewBook.self, from: data)
    }

    func encoded() throws -> Data {
        var data = try JSONCoding.encoder.encode(self)
        data.append(0x0A)
        return data
    }

    mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    func index(of number: Int) -> Int? { reviews.firstIndex { $0.number == number } }

    /// Adds a REQUEST_REVIEW row for each of `reviewers` (in name order) to `review`, for the commit `head`.
    mutating func request(_ reviewers: some Sequence<String>, on review: inout Review, at head: String) {
        for reviewer in reviewers.sorted() {
            review.entries.append(
                ReviewEntry(id: takeID(), reviewer: reviewer, kind: .reviewRequested, body: "", commit: head)
            )
        }
    }
}
