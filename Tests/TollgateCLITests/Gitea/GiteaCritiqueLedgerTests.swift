import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// One ledger for human and machine review: a phase critiqued on its way to a pull request shows the critic's
/// must-fix items as one comment review of the bot's, each inline on the line of the artifact it names.
extension GiteaEndToEndTests {
    /// A critic whose first two runs (revision 1's critique and its one revise iteration) do not ship, naming one
    /// line of `plan.md` and one item without a line; later runs ship.
    func lineNamingCritic() throws -> String {
        "/bin/sh "
            + (try job.script(
                "line-critic.sh",
                """
                #!/bin/sh
                n=$(cat "$0.count" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$0.count"
                if [ "$n" -le 2 ]; then score=5; else score=9; fi
                printf '<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><ARTIFACT><![CDATA['
                cat
                printf ']]></ARTIFACT></PANELIST><PANELIST role="critic" score="%s">' "$score"
                if [ "$n" -le 2 ]; then
                  printf '<MUST_FIX>plan.md line 2: name the audience.</MUST_FIX><MUST_FIX>Add a risks section.</MUST_FIX>'
                fi
                printf '</PANELIST><PANELIST role="brand" score="%s"></PANELIST>' "$score"
                printf '<PANELIST role="a11y" score="%s"></PANELIST><PANELIST role="copy" score="%s"></PANELIST>' "$score" "$score"
                printf '<ROUND_END n="1"></ROUND_END></ROUND>'
                if [ "$n" -gt 2 ]; then printf '<SHIP round="1"></SHIP>'; fi
                printf '</CRITIQUE_RUN>\\n'

                """
            ))
    }

    @Test func theCriticsMustFixItemsAreInlineOnThePullRequestOnce() async throws {
        defer { server.stop() }
        let created = try await initialize(extra: [
            "--set", "critique.enabled=true", "--set", "critique.command=\(try lineNamingCritic())",
            "--set", "critique.revision.maxIterations=1",
        ])
        #expect(created.status == 0, "\(created)")
        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        let alice = client(server.alice)
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))

        let reviews = try await alice.reviews(on: pull.number, in: repo)
        let critiques = reviews.filter { $0.user?.login == "tollgate-bot" }
        #expect(critiques.count == 1, "\(reviews)")
        let review = try #require(critiques.first)
        #expect(review.state == .comment)
        #expect(review.commitID == pull.head.sha)
        #expect(review.body.contains("2 must-fix item(s) on `plan.md`"), "\(review.body)")
        #expect(review.body.contains("critique/phase-1/rev-1/report.md"), "\(review.body)")
        let comments = try await alice.reviewComments(review: review.id, on: pull.number, in: repo)
            .sorted { $0.id < $1.id }
        #expect(comments.map(\.path) == ["plan.md", "plan.md"])
        #expect(comments.map(\.line) == [2, 1], "the critic's line, else the first")
        #expect(comments.first?.body == "**Must fix** (critic): plan.md line 2: name the audience.")
        // The bot's comment review is no verdict: the phase waits for alice.
        #expect(
            ReviewVerdict.evaluate(reviews, headSHA: pull.head.sha, ignoring: "tollgate-bot")
                == .waiting(for: ["alice"])
        )

        // Idempotent: a freeze asked again (the run after a crash re-requests) posts nothing new.
        let again = try await tollgate("run", job.path)
        #expect(again.status == 3, "\(again)")
        let resumed = try await tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        let after = try await alice.reviews(on: pull.number, in: repo).filter { $0.user?.login == "tollgate-bot" }
        #expect(after.map(\.id) == [review.id])

        // Alice asks for changes; revision 2's critique ships, and the revision comment says the critic's items are
        // addressed. Nothing new is posted inline.
        try await requestChanges(pull)
        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        let notes = try await engineNotes(on: pull.number)
        let note = try #require(notes.first { $0.body.contains("**Revision 2**") }, "\(notes)")
        #expect(
            note.body.contains(
                "Critique: this revision addresses the critic's 2 must-fix item(s) on revision 1; its critique has "
                    + "none open."
            ),
            "\(note.body)"
        )
        let finally = try await alice.reviews(on: pull.number, in: repo).filter { $0.user?.login == "tollgate-bot" }
        #expect(finally.map(\.id) == [review.id])
    }
}
