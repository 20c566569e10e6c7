import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// A squash that lands nothing still leaves its commit on the target, with the target's tree, by compare-and-swap.
@Suite(.runsProcesses)
struct EmptySquashTests {
    @Test func anEmptySquashIsOneCommitWithTheTargetsTreeAndTipAsParent() async throws {
        let (directory, repository) = try Fixture.repository(#function)
        try Fixture.write(["a.txt": "a\n"], in: directory)
        let base = try Fixture.commitAll(repository, "base")
        let squash = try repository.commitEmptySquash(
            onto: "main",
            message: "Phase 1 (tactical): nothing changed\n\nTollgate-Phase: 1-tactical\n",
            author: Fixture.author,
            committer: Fixture.committer
        )
        #expect(try repository.branchTip("main") == squash)
        let info = try repository.commitInfo(squash)
        #expect(info.parents == [base])
        #expect(info.tree == (try repository.commitInfo(base)).tree)
        #expect(info.message.hasPrefix("Phase 1 (tactical): nothing changed"))
    }

    @Test func aTargetThatDoesNotExistIsNamed() async throws {
        let (_, repository) = try Fixture.repository(#function)
        #expect(throws: GitError.self) {
            try repository.commitEmptySquash(
                onto: "nowhere",
                message: "m",
                author: Fixture.author,
                committer: Fixture.committer
            )
        }
    }
}
