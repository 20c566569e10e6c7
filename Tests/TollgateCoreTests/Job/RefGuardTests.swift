import Testing
import TollgateCore

/// Which reference changes an agent's run may leave, and how the rest are reported (DESIGN §5).
struct RefGuardTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let c = String(repeating: "c", count: 40)

    @Test func thePhaseBranchMayMoveAndNothingElse() async {
        let before = [
            "refs/heads/main": Self.a, "refs/heads/phase-1-strategic": Self.a, "refs/heads/tollgate/state": Self.b,
            "refs/tags/v1": Self.a, "refs/heads/old": Self.c,
        ]
        let after = [
            "refs/heads/main": Self.c, "refs/heads/phase-1-strategic": Self.c, "refs/heads/tollgate/state": Self.b,
            "refs/tags/v1": Self.a, "refs/heads/stray": Self.c, "refs/tollgate/quarantine/run-1/heads/main": Self.c,
        ]
        let changes = RefGuard.changes(before: before, after: after, phaseBranch: "phase-1-strategic")
        #expect(
            changes == [
                .init(name: "refs/heads/main", kind: .moved(from: Self.a, to: Self.c)),
                .init(name: "refs/heads/old", kind: .deleted(from: Self.c)),
                .init(name: "refs/heads/stray", kind: .created(to: Self.c)),
            ]
        )
    }

    @Test func thePhaseBranchMayNotGoAway() async {
        let before = ["refs/heads/main": Self.a, "refs/heads/phase-1-strategic": Self.b]
        let changes = RefGuard.changes(
            before: before,
            after: ["refs/heads/main": Self.a],
            phaseBranch: "phase-1-strategic"
        )
        #expect(changes == [.init(name: "refs/heads/phase-1-strategic", kind: .deleted(from: Self.b))])
    }

    @Test func aHeadLeftOnABranchSaysNothingOfAQuarantine() async throws {
        let text = try #require(
            RefGuard.failure(changes: [], headElsewhere: "main", phaseBranch: "phase-1-strategic", run: 1)
        )
        #expect(!text.contains("quarantine"))
        #expect(!text.contains(", ,"))
        #expect(text.hasSuffix("with the working tree as the agent left it."))
    }

    @Test func nothingChangedIsNoFailure() async {
        let refs = ["refs/heads/main": Self.a, "refs/heads/phase-2-tactical": Self.b]
        #expect(RefGuard.changes(before: refs, after: refs, phaseBranch: "phase-2-tactical").isEmpty)
        #expect(RefGuard.failure(changes: [], headElsewhere: nil, phaseBranch: "phase-2-tactical", run: 3) == nil)
    }

    @Test func aQuarantineNameKeepsTheReferencesOwnName() async {
        let moved = RefGuard.Change(name: "refs/heads/tollgate/state", kind: .moved(from: Self.a, to: Self.b))
        #expect(moved.quarantineName(run: 4) == "refs/tollgate/quarantine/run-4/heads/tollgate/state")
        let tag = RefGuard.Change(name: "refs/tags/v1", kind: .created(to: Self.b))
        #expect(tag.quarantineName(run: 1) == "refs/tollgate/quarantine/run-1/tags/v1")
        #expect(RefGuard.Change(name: "refs/heads/x", kind: .deleted(from: Self.a)).quarantineName(run: 1) == nil)
    }

    @Test func theFailureNamesWhatTheAgentDidAndWhereItsCommitsAre() async throws {
        let changes = [
            RefGuard.Change(name: "refs/heads/main", kind: .moved(from: Self.a, to: Self.c)),
            RefGuard.Change(name: "refs/tags/v1", kind: .deleted(from: Self.b)),
        ]
        let text = try #require(
            RefGuard.failure(changes: changes, headElsewhere: "main", phaseBranch: "phase-1-strategic", run: 2)
        )
        #expect(text.contains("left HEAD on main instead of phase-1-strategic"))
        #expect(text.contains("moved main from aaaaaaaaaa to cccccccccc"))
        #expect(text.contains("deleted tag v1 (was bbbbbbbbbb)"))
        #expect(text.contains("as it was before the run"))
        #expect(text.contains("git log --source --glob='refs/tollgate/quarantine/run-2/*'"))
        #expect(text.contains("refs/tollgate/quarantine/run-2/"))
    }
}
