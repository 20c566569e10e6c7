import Foundation
import TollgateCore

/// Where the local review host keeps its reviews: the host decides what changes, the storage keeps the book.
///
/// The storage also records the change in the job's trail. The engine's storage is the state branch
/// (``StateReviewStorage``).
protocol LocalReviewStorage: AnyObject {
    /// The reviews as last saved (an empty book before the first).
    func book() throws -> LocalReviewBook

    /// Saves `book` after `change`.
    func save(_ book: LocalReviewBook, after change: LocalReviewChange) throws
}

/// What the local host did to one review, for the job's trail.
struct LocalReviewChange: Equatable {
    enum Kind {
        case created
        case headUpdated
        case merged
        case closed
        case submitted

        /// The event the change is recorded as.
        var eventType: JobEventType {
            switch self {
            case .created: .reviewCreated
            case .headUpdated: .reviewHeadUpdated
            case .merged: .reviewMerged
            case .closed: .reviewClosed
            case .submitted: .reviewSubmitted
            }
        }
    }

    var kind: Kind
    var review: LocalReviewBook.Review
    /// More about the change (a verdict's action and reviewer).
    var details: [String: String] = [:]
}

/// The engine's ``LocalReviewStorage``: `reviews.json` on the state branch.
///
/// Each change is committed with its event in one state commit, so the trail says what happened to every review.
final class StateReviewStorage: LocalReviewStorage {
    private let store: StateStore
    private let clock: () -> Date

    init(store: StateStore, clock: @escaping () -> Date = Date.init) {
        self.store = store
        self.clock = clock
    }

    func book() throws -> LocalReviewBook {
        try LocalReviewBook.decode(store.file(LocalReviewBook.fileName))
    }

    func save(_ book: LocalReviewBook, after change: LocalReviewChange) throws {
        guard let document = store.document else { throw EngineError.notAJob(path: "the workspace") }
        var data = change.details
        data["review"] = "\(change.review.number)"
        data["branch"] = change.review.branch
        data["head"] = change.review.head
        let event = JobEvent(
            type: change.kind.eventType,
            phase: document.job.phase.number,
            revision: document.job.revision,
            data: data
        )
        try store.commit(
            document,
            events: [event],
            extraFiles: [LocalReviewBook.fileName: try book.encoded()],
            now: clock()
        )
    }
}
