import Foundation
import TollgateTestSupport

/// Protocol-v1 text and `/bin/sh` critics for the runner's tests, written by hand so the tests do not reuse the code
/// they check.
enum CriticScript {
    /// One round: a designer carrying `artifact`, and the four scoring panelists with `scores` (critic, brand, a11y,
    /// copy) and `mustFix` items from the critic.
    static func round(_ n: Int, artifact: String, scores: [Double], mustFix: [String] = []) -> String {
        var text = """
            <ROUND n="\(n)">
            <PANELIST role="designer">
            <ARTIFACT mime="text/markdown"><![CDATA[\(artifact)]]></ARTIFACT>
            </PANELIST>
            <PANELIST role="critic" score="\(scores[0])" must_fix="\(mustFix.count)">
            <DIM name="structure" score="\(scores[0])">How the plan holds together.</DIM>

            """
        for item in mustFix { text += "<MUST_FIX>\(item)</MUST_FIX>\n" }
        text += """
            </PANELIST>
            <PANELIST role="brand" score="\(scores[1])"></PANELIST>
            <PANELIST role="a11y" score="\(scores[2])"></PANELIST>
            <PANELIST role="copy" score="\(scores[3])"></PANELIST>
            <ROUND_END n="\(n)" must_fix="\(mustFix.count)" decision="continue"></ROUND_END>
            </ROUND>

            """
        return text
    }

    static let open = "<CRITIQUE_RUN version=\"1\">\n"
    static let close = "</CRITIQUE_RUN>\n"

    /// A run that ships `artifact` in round 1 (composite 9).
    static func shipping(_ artifact: String) -> String {
        open + round(1, artifact: artifact, scores: [9, 9, 9, 9]) + "<SHIP round=\"1\"></SHIP>\n" + close
    }

    /// A run of `rounds` rounds that never ships: composites 6, 7, 6.5 (round 2 is the best).
    static func neverShipping(_ artifact: String, rounds: Int = 3) -> String {
        let composites: [Double] = [6, 7, 6.5]
        var text = open
        for n in 1...rounds {
            let score = composites[(n - 1) % composites.count]
            text += round(
                n,
                artifact: artifact + "\n<!-- round \(n) -->\n",
                scores: [score, score, score, score],
                mustFix: ["Say more."]
            )
        }
        return text + close
    }

    /// Writes a shell script that prints `stream` between the shell lines `before` and `after`; returns its command.
    ///
    /// The script is run as `/bin/sh <path>`, never executed itself: a script written while another test spawns a
    /// process could be held open by that child ("text file busy").
    static func printing(
        _ stream: String,
        in directory: TemporaryDirectory,
        name: String = "critic",
        before: String = "",
        after: String = ""
    ) throws -> String {
        let streamFile = try directory.write("\(name).stream", stream)
        let script = try directory.write(
            "\(name).sh",
            """
            #!/bin/sh
            \(before)
            cat "\(streamFile.path)"
            \(after)

            """
        )
        return "/bin/sh \(script.path)"
    }
}
