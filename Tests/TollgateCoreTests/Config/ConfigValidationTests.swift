import Foundation
import Testing
import TollgateCore

/// Values that parse but cannot work are refused where they are given, naming the key and what is allowed.
struct ConfigValidationTests {
    @Test(arguments: [
        ("agent.command=", "a non-empty string"), ("agent.command=   ", "a non-empty string"),
        ("critique.phaseTypes=bogus", "a list of: strategic, tactical"),
        ("critique.phaseTypes=strategic,", "a list of: strategic, tactical"),
        ("review.reviewers=a,,b,", "each non-empty"), ("review.reviewers=ann,ann", "given once"),
        ("review.reviewers=ann smith", "without spaces"),
        ("critique.enabled=true", "a command when critique.enabled is true"),
    ])
    func aValueThatCannotWorkIsRefused(_ assignment: String, _ allowed: String) async {
        do {
            let layer = try ConfigLayer(assignments: [assignment], source: "--set")
            _ = try ResolvedConfig(layers: [layer])
            Issue.record("\(assignment) was accepted")
        } catch {
            #expect(error.description.contains(allowed), "\(error.description)")
        }
    }

    @Test(arguments: [
        "agent.command=tollgate example-agent", "critique.phaseTypes=strategic,tactical", "critique.phaseTypes=",
        "review.reviewers=ann,bob", "review.reviewers=",
    ])
    func aWorkableValueIsTaken(_ assignment: String) async throws {
        let layer = try ConfigLayer(assignments: [assignment], source: "--set")
        _ = try ResolvedConfig(layers: [layer])
    }

    @Test func critiqueWithItsCommandIsTaken() async throws {
        let layer = try ConfigLayer(
            assignments: ["critique.enabled=true", "critique.command=tollgate example-critic"],
            source: "--set"
        )
        #expect(try ResolvedConfig(layers: [layer])[ConfigKeys.critiqueEnabled])
    }

    @Test(arguments: [
        (#"{"maxPhases": 3, "maxPhases": 4}"#, "maxPhases"),
        (#"{"agent": {"timeoutSeconds": 5, "command": "x", "timeoutSeconds": 9}}"#, "agent.timeoutSeconds"),
        (#"{"agent": {"command": "x"}, "agent": {"timeoutSeconds": 9}}"#, "agent"),
    ])
    func aKeyGivenTwiceInAFileIsRefused(_ json: String, _ key: String) async {
        #expect(throws: ConfigError.duplicateKey(source: "x.json", key: key)) {
            try ConfigLayer(json: Data(json.utf8), source: "x.json")
        }
    }

    @Test func theSameNameInTwoObjectsIsNoDuplicate() async throws {
        let json = #"{"agent": {"timeoutSeconds": 5}, "critique": {"timeoutSeconds": 9, "rounds": {"a\"b": 1}}}"#
        #expect(JSONDuplicateKeys.first(in: Data(json.utf8)) == nil)
    }
}
