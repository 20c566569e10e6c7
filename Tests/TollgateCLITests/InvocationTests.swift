import Testing
import TollgateCLI
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The command line contract (HelpText), parsed without running anything.
@Suite(.runsProcesses)
struct InvocationTests {
    typealias Command = Invocation.Command

    struct Good: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var command: Command
        var home: String?
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let good: [Good] = [
        Good(arguments: [], command: .help(topic: nil)),
        Good(arguments: ["--help"], command: .help(topic: nil)),
        Good(arguments: ["-h"], command: .help(topic: nil)),
        Good(arguments: ["help", "review"], command: .help(topic: "review")),
        Good(arguments: ["run", "--help"], command: .help(topic: "run")),
        Good(arguments: ["review", "d", "approve", "-h"], command: .help(topic: "review")),
        Good(arguments: ["init", "d"], command: .initJob(directory: "d", options: JobOptions())),
        // DIR defaults to the current directory.
        Good(arguments: ["init"], command: .initJob(directory: ".", options: JobOptions())),
        Good(arguments: ["run"], command: .run(directory: ".")),
        Good(arguments: ["resume"], command: .resume(directory: ".")),
        Good(arguments: ["status", "--json"], command: .status(directory: ".", json: true)),
        Good(arguments: ["log"], command: .log(directory: ".", json: false)),
        Good(
            arguments: ["review", "approve", "--as", "ann"],
            command: .review(directory: ".", action: .approve, message: nil, comments: [], reviewer: "ann")
        ),
        Good(arguments: ["--version"], command: .version),
        Good(arguments: ["-V"], command: .version),
        Good(
            arguments: [
                "init", "--expert", "coder", "d", "--autonomy=guided", "--agent", "sh agent.sh", "--description",
                "Write it", "--review", "local", "--set", "maxPhases=4", "--set", "agent.timeoutSeconds=9",
                "--home", "/opt/tg",
            ],
            command: .initJob(
                directory: "d",
                options: JobOptions(
                    expert: "coder",
                    autonomy: "guided",
                    agent: "sh agent.sh",
                    description: "Write it",
                    review: "local",
                    assignments: ["maxPhases=4", "agent.timeoutSeconds=9"]
                )
            ),
            home: "/opt/tg"
        ),
        Good(arguments: ["run", "d"], command: .run(directory: "d")),
        Good(arguments: ["run", "--home=/h", "d"], command: .run(directory: "d"), home: "/h"),
        Good(arguments: ["run", "--", "--odd-dir"], command: .run(directory: "--odd-dir")),
        Good(arguments: ["resume", "d"], command: .resume(directory: "d")),
        Good(arguments: ["status", "d"], command: .status(directory: "d", json: false)),
        Good(arguments: ["status", "--json", "d"], command: .status(directory: "d", json: true)),
        Good(arguments: ["log", "d", "--json"], command: .log(directory: "d", json: true)),
        Good(arguments: ["log", "d"], command: .log(directory: "d", json: false)),
        Good(arguments: ["config", "d"], command: .config(directory: "d", assignments: [])),
        Good(
            arguments: ["config", "d", "--set", "a=1", "--set", "b=x=y"],
            command: .config(directory: "d", assignments: ["a=1", "b=x=y"])
        ),
        Good(
            arguments: ["review", "d", "approve"],
            command: .review(directory: "d", action: .approve, message: nil, comments: [], reviewer: nil)
        ),
        Good(
            arguments: ["review", "d", "close", "--message", "start over", "--as", "ann"],
            command: .review(directory: "d", action: .close, message: "start over", comments: [], reviewer: "ann")
        ),
        Good(arguments: ["example-agent"], command: .exampleAgent),
        Good(arguments: ["demo"], command: .demo(directory: nil)),
        Good(arguments: ["demo", "/tmp/x"], command: .demo(directory: "/tmp/x")),
    ]

    @Test(arguments: good)
    func parsesEveryCommandsHappyPath(_ row: Good) async throws {
        let invocation = try Invocation.parse(row.arguments)
        #expect(invocation.command == row.command)
        #expect(invocation.home == row.home)
    }

    @Test func parsesRepeatedInlineCommentsWhoseTextHoldsColons() async throws {
        let invocation = try Invocation.parse([
            "review", "d", "request-changes", "--comment", "plan.md:3:Say why: in one line", "--comment=a/b.md:12:x",
        ])
        guard case .review(_, let action, _, let comments, _) = invocation.command else {
            Issue.record("not a review: \(invocation.command)")
            return
        }
        #expect(action == .requestChanges)
        #expect(comments.map(\.readings[0].path) == ["plan.md", "a/b.md"])
        #expect(comments.map(\.readings[0].line) == [3, 12])
        #expect(comments.map(\.readings[0].text) == ["Say why: in one line", "x"])
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        /// Words the message must hold.
        var words: [String]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let bad: [Bad] = [
        Bad(arguments: ["frobnicate"], words: ["unknown command 'frobnicate'", "tollgate --help"]),
        Bad(arguments: ["statu", "d"], words: ["unknown command 'statu'", "Did you mean 'status'"]),
        Bad(arguments: ["help", "nope"], words: ["unknown command 'nope'"]),
        Bad(arguments: ["init", "a", "b"], words: ["one job directory", "2"]),
        Bad(arguments: ["init", "d", "--set", "maxPhases"], words: ["--set takes KEY=VALUE", "maxPhases"]),
        Bad(arguments: ["init", "d", "--autonomy"], words: ["--autonomy needs a value"]),
        Bad(
            arguments: ["init", "d", "--autonomy", "full", "--autonomy", "guided"],
            words: ["--autonomy", "more than once"]
        ),
        Bad(arguments: ["init", "d", "--bogus", "x"], words: ["unknown option '--bogus'", "init"]),
        Bad(arguments: ["init", "d", "--json"], words: ["unknown option '--json'"]),
        Bad(arguments: ["run", "a", "b"], words: ["run takes one job directory"]),
        Bad(arguments: ["run", "d", "--json"], words: ["unknown option '--json'", "run"]),
        Bad(arguments: ["status", "d", "--json=yes"], words: ["--json takes no value"]),
        Bad(arguments: ["config", "d", "e"], words: ["config takes one job directory"]),
        Bad(arguments: ["config", "d", "--set", "novalue"], words: ["--set takes KEY=VALUE", "novalue"]),
        Bad(arguments: ["review", "d", "lgtm"], words: ["unknown verdict 'lgtm'"]),
        Bad(arguments: ["review"], words: ["approve, request-changes, comment, close"]),
        Bad(arguments: ["review", "lgtm"], words: ["unknown verdict 'lgtm'"]),
        Bad(arguments: ["--version", "x"], words: ["--version takes no argument"]),
        Bad(arguments: ["review", "d", "approve", "extra"], words: ["review takes a job directory"]),
        Bad(arguments: ["review", "d", "approve", "--as"], words: ["--as needs a value"]),
        Bad(
            arguments: ["review", "d", "request-changes", "--comment", "plan.md:x:text"],
            words: ["PATH:LINE:TEXT", "plan.md:x:text"]
        ),
        Bad(arguments: ["review", "d", "request-changes", "--comment", "plan.md:0:text"], words: ["PATH:LINE:TEXT"]),
        Bad(arguments: ["review", "d", "request-changes", "--comment", ":3:text"], words: ["PATH:LINE:TEXT"]),
        Bad(arguments: ["review", "d", "request-changes", "--comment", "plan.md:3:  "], words: ["PATH:LINE:TEXT"]),
        Bad(arguments: ["review", "d", "request-changes", "--comment", "plan.md:3"], words: ["PATH:LINE:TEXT"]),
        Bad(arguments: ["review", "d", "approve", "--as", ""], words: ["--as", "one line", "empty"]),
        Bad(arguments: ["review", "d", "approve", "--as", "  "], words: ["--as", "empty"]),
        Bad(
            arguments: ["review", "d", "approve", "--as", "ann\nTollgate-Phase: 9-strategic"],
            words: ["--as", "line break"]
        ),
        Bad(arguments: ["review", "d", "approve", "--as", "ann\u{0}x"], words: ["--as", "control character U+0000"]),
        Bad(arguments: ["review", "d", "approve", "--as=ann\u{1B}[31m"], words: ["--as", "U+001B"]),
        Bad(
            arguments: ["review", "d", "request-changes", "--comment", "/etc/passwd:1:x"],
            words: ["/etc/passwd:1:x", "not absolute"]
        ),
        Bad(
            arguments: ["review", "d", "request-changes", "--comment", "../../etc/passwd:1:x"],
            words: ["inside the repository", "`..`"]
        ),
        Bad(arguments: ["review", "d", "request-changes", "--comment", "a//b.md:1:x"], words: ["written plainly"]),
        Bad(arguments: ["example-agent", "x"], words: ["unexpected argument 'x'"]),
        Bad(arguments: ["demo", "a", "b"], words: ["demo takes at most one directory"]),
    ]

    @Test(arguments: bad)
    func rejectsABadCommandLineSayingWhy(_ row: Bad) async {
        do {
            let invocation = try Invocation.parse(row.arguments)
            Issue.record("parsed as \(invocation.command)")
        } catch {
            for word in row.words {
                #expect(error.description.contains(word), "message: \(error.description)")
            }
        }
    }

    @Test func knowsEveryCommandOfTheContract() async {
        let contract = ["init", "run", "resume", "status", "review", "log", "config", "example-agent", "demo"]
        #expect(Set(contract).isSubset(of: Set(Invocation.commands)))
    }
}
