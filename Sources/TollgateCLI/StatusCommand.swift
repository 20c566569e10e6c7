import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate status DIR [--json]`.
enum StatusCommand {
    static func run(directory: URL, json: Bool, resources: ResourceBundle, output: Output) throws -> ExitCode {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: false)
        let state = try session.state
        if json {
            output.out(try encode(Status(state: state)))
            return .success
        }
        output.out("job \(state.id): \(state.status.rawValue)")
        output.out("  \(state.phase), revision \(state.revision), branch \(state.branch)")
        output.out("  autonomy \(state.autonomy.rawValue); review host \(state.reviewHost)")
        if let review = state.review {
            output.out("  review: \(review.host) #\(review.id) at \(review.location) (head \(review.head.prefix(10)))")
        }
        if let reason = state.freezeReason, state.status == .pendingReview { output.out("  frozen: \(reason)") }
        if state.status == .pendingReview, let review = state.review,
            let last = try session.lastEvent(where: { $0.type.hasPrefix("review.") || $0.type.hasPrefix("verdict.") }),
            last.type == "review.rerequested"
        {
            output.out(
                "  review re-requested for the new head \(review.head.prefix(10)) (an earlier verdict was for an older commit)"
            )
        }
        if let critique = state.critique {
            output.out("  \(critique.line)")
            output.out("  \(critique.loopLine)")
        }
        if let failure = state.failure { output.out("  failure: \(failure)") }
        output.out("  next step: \(state.next?.description ?? "none"); phases merged: \(state.merged.count)")
        if session.isClone {
            output.out("  read from origin/tollgate/state (a clone); to continue the job here, first run")
            output.out("  `git branch tollgate/state origin/tollgate/state`")
        }
        return .success
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The `status --json` object: a contract other tools read.
    struct Status: Encodable {
        struct Review: Encodable {
            var host: String
            var id: Int
            var location: String
            var url: String?
            var path: String?
            var head: String
        }

        var job: String
        var status: String
        var phase: Int
        var phaseType: String
        var attempt: Int
        var revision: Int
        var branch: String
        var autonomy: String
        var reviewHost: String
        var review: Review?
        var freezeReason: String?
        var failure: String?
        var next: String?
        var mergedPhases: Int
        var critique: PhaseCritique?

        init(state: JobState) {
            job = state.id
            status = state.status.rawValue
            phase = state.phase.number
            phaseType = state.phase.type.rawValue
            attempt = state.phase.attempt
            revision = state.revision
            branch = state.branch
            autonomy = state.autonomy.rawValue
            reviewHost = state.reviewHost
            review = state.review.map {
                Review(
                    host: $0.host,
                    id: $0.id,
                    location: $0.location,
                    url: $0.location.hasPrefix("http") ? $0.location : nil,
                    path: $0.location.hasPrefix("http") ? nil : $0.location,
                    head: $0.head
                )
            }
            freezeReason = state.status == .pendingReview ? state.freezeReason?.description : nil
            failure = state.failure
            next = state.next?.description
            mergedPhases = state.merged.count
            critique = state.critique
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .job)
            try container.encode(status, forKey: .status)
            try container.encode(phase, forKey: .phase)
            try container.encode(phaseType, forKey: .phaseType)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(revision, forKey: .revision)
            try container.encode(branch, forKey: .branch)
            try container.encode(autonomy, forKey: .autonomy)
            try container.encode(reviewHost, forKey: .reviewHost)
            try container.encode(review, forKey: .review)  // null when no review is open
            try container.encode(freezeReason, forKey: .freezeReason)
            try container.encode(failure, forKey: .failure)
            try container.encode(next, forKey: .next)
            try container.encode(mergedPhases, forKey: .mergedPhases)
            try container.encode(critique, forKey: .critique)  // null when no critique ran in this phase
        }

        enum CodingKeys: String, CodingKey {
            case job, status, phase, phaseType, attempt, revision, branch, autonomy, reviewHost, review, freezeReason,
                failure, next, mergedPhases, critique
        }
    }
}
