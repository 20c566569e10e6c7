import Foundation
import Testing
import TollgateTestSupport

/// On the local review host, a critique that does not pass shows its score and open must-fix count where a reviewer
/// looks: `tollgate status` and the review's body.
struct CritiqueLocalReviewTests {
    @Test func statusAndTheLocalReviewBodyShowTheScoreAndTheOpenMustFixCount() throws {
        let job = try CLIJob("critique-local-review")
        try job.initialize([
            "--autonomy", "full", "--set", "critique.enabled=true", "--set",
            "critique.command=\(try CritiqueJobTests().failingCritic(job))",
        ])
        let run = try job.tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        let line = "critique below_threshold: composite 5.0 / threshold 8.0, 1 open must-fix item(s)"

        let status = try job.tollgate("status", job.path)
        #expect(status.stdout.contains(line), "\(status.stdout)")
        let critique = try #require(try job.status()["critique"] as? [String: Any])
        #expect(critique["composite"] as? Double == 5)
        #expect(critique["openMustFix"] as? Int == 1)

        let book = try #require(
            try JSONSerialization.jsonObject(with: Data(job.git("show", "tollgate/state:reviews.json").utf8))
                as? [String: Any]
        )
        let bodies = Self.strings(named: "body", in: book)
        let body = try #require(bodies.first { $0.contains("critique score") }, "\(bodies)")
        #expect(body.contains(line), "\(body)")
        #expect(body.contains("the critique did not pass"), "the escalation reason: \(body)")
    }

    /// Every string value under a key `name`, at any depth.
    static func strings(named name: String, in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, child in
                key == name ? [child as? String].compactMap { $0 } : strings(named: name, in: child)
            }
        }
        if let array = value as? [Any] { return array.flatMap { strings(named: name, in: $0) } }
        return []
    }
}
