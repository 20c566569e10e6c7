import Foundation
import TollgateCore
import TollgateEngine

/// A parsed command line: pure, so every rule of the contract is tested without running anything.
public struct Invocation: Sendable, Equatable {
    /// What to do.
    public enum Command: Sendable, Equatable {
        case help(topic: String?)
        case version
        case initJob(directory: String, options: JobOptions)
        case run(directory: String)
        case resume(directory: String)
        case status(directory: String, json: Bool)
        case review(
            directory: String,
            action: LocalReviewHost.Action,
            message: String?,
            comments: [InlineCommentSpec],
            reviewer: String?
        )
        case log(directory: String, json: Bool)
        case stats(directory: String, json: Bool)
        case config(directory: String, assignments: [String])
        case cancel(directory: String, message: String?)
        case exampleAgent
        case demo(directory: String?)
        case critique(CritiqueCommand)
        case exampleCritic(ExampleCriticCommand)
        case watch(WatchCommand)
    }

    public var command: Command
    /// `--home`: where `config/` and `Templates/` are.
    public var home: String?
    /// `--quiet` (run, resume): no live progress while an agent runs.
    public var quiet: Bool = false

    public init(command: Command, home: String?, quiet: Bool = false) {
        self.command = command
        self.home = home
        self.quiet = quiet
    }

    /// The subcommands, in the order `--help` lists them.
    public static let commands = [
        "init", "run", "resume", "watch", "status", "review", "log", "stats", "config", "cancel", "example-agent",
        "demo",
        "critique",
        "example-critic",
    ]

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
        guard let name = arguments.first else { return Invocation(command: .help(topic: nil), home: nil) }
        if name == "--version" || name == "-V" || name == "version" {
            guard arguments.count == 1 else { throw UsageError("--version takes no argument") }
            return Invocation(command: .version, home: nil)
        }
        if name == "--help" || name == "-h" || name == "help" {
            let topic = arguments.dropFirst().first
            if let topic, !commands.contains(topic) { throw UsageError("unknown command '\(topic)'") }
            return Invocation(command: .help(topic: topic), home: nil)
        }
        guard commands.contains(name) else {
            let hint = closest(to: name).map { " Did you mean '\($0)'?" } ?? ""
            throw UsageError("unknown command '\(name)'.\(hint)")
        }
        var scanner = try OptionScanner(Array(arguments.dropFirst()), command: name)
        if scanner.wantsHelp { return Invocation(command: .help(topic: name), home: nil) }
        let home = try scanner.value("--home")
        let command: Command
        switch name {
        case "init":
            let options = JobOptions(
                expert: try scanner.value("--expert"),
                autonomy: try scanner.value("--autonomy"),
                agent: try scanner.value("--agent"),
                description: try scanner.value("--description") ?? "",
                review: try scanner.value("--review"),
                assignments: try scanner.values("--set")
            )
            for assignment in options.assignments where !assignment.contains("=") {
                throw UsageError("--set takes KEY=VALUE, got '\(assignment)'", command: name)
            }
            command = .initJob(directory: try scanner.directory(), options: options)
        case "run": command = .run(directory: try scanner.directory())
        case "resume": command = .resume(directory: try scanner.directory())
        case "status": command = .status(directory: try scanner.directory(), json: scanner.flag("--json"))
        case "log": command = .log(directory: try scanner.directory(), json: scanner.flag("--json"))
        case "stats": command = .stats(directory: try scanner.directory(), json: scanner.flag("--json"))
        case "config":
            let assignments = try scanner.values("--set")
            for assignment in assignments where !assignment.contains("=") {
                throw UsageError("--set takes KEY=VALUE, got '\(assignment)'", command: name)
            }
            command = .config(directory: try scanner.directory(), assignments: assignments)
        case "review":
            let message = try scanner.value("--message")
            let comments = try scanner.values("--comment").map { spec throws(UsageError) in
                do throws(InlineCommentSpec.Problem) {
                    return try InlineCommentSpec(parsing: spec)
                } catch {
                    throw UsageError(error.description, command: name)
                }
            }
            let reviewer = try scanner.value("--as")
            if let reviewer, let problem = CommitText.problem(withName: reviewer) {
                throw UsageError(
                    "--as names the reviewer in the commit's Reviewed-by trailer and must be one line: \(problem)",
                    command: name
                )
            }
            // `review [DIR] VERDICT`: the directory defaults to the current one, as for every command.
            let positionals = scanner.positionals
            guard positionals.count == 1 || positionals.count == 2, let verdict = positionals.last else {
                throw UsageError(
                    "review takes a job directory (default: the current one) and one of approve, request-changes, "
                        + "comment, close",
                    command: name
                )
            }
            guard let action = LocalReviewHost.Action(rawValue: verdict) else {
                throw UsageError(
                    "unknown verdict '\(verdict)': use approve, request-changes, comment or close",
                    command: name
                )
            }
            scanner.positionals = []
            command = .review(
                directory: positionals.count == 2 ? positionals[0] : ".",
                action: action,
                message: message,
                comments: comments,
                reviewer: reviewer
            )
        case "cancel":
            let message = try scanner.value("--message")
            command = .cancel(directory: try scanner.directory(), message: message)
        case "example-agent": command = .exampleAgent
        case "watch": command = .watch(try WatchCommand.parse(&scanner))
        case "critique": command = .critique(try CritiqueCommand.parse(&scanner))
        case "example-critic": command = .exampleCritic(try ExampleCriticCommand.parse(&scanner))
        case "demo":
            let positionals = scanner.positionals
            guard positionals.count <= 1 else { throw UsageError("demo takes at most one directory", command: name) }
            scanner.positionals = []
            command = .demo(directory: positionals.first)
        default:
            throw UsageError("unknown command '\(name)'")
        }
        try scanner.finish()
        return Invocation(command: command, home: home, quiet: scanner.flag("--quiet"))
    }

    private static func closest(to name: String) -> String? {
        commands.first { $0.hasPrefix(String(name.prefix(3))) }
    }
}

/// Splits `--name value`, `--name=value`, flags and positionals, and rejects anything the command does not take.
struct OptionScanner {
    /// Options that take a value, and flags, per command.
    static let valueOptions: [String: Set<String>] = [
        "init": ["--expert", "--autonomy", "--agent", "--description", "--set", "--review", "--home"],
        "review": ["--message", "--comment", "--as", "--home"],
        "critique": ["--command", "--out", "--home"], "example-critic": ["--rounds", "--home"],
        "watch": ["--interval", "--home"], "config": ["--set", "--home"], "cancel": ["--message", "--home"],
    ]
    static let flagOptions: [String: Set<String>] = [
        "status": ["--json"], "log": ["--json"], "stats": ["--json"], "critique": ["--json"], "watch": ["--once"],
        "run": ["--quiet"],
        "resume": ["--quiet"],
    ]

    var positionals: [String] = []
    private var values: [(String, String)] = []
    private var flags: Set<String> = []
    private var consumed: Set<String> = []
    private let command: String
    private(set) var wantsHelp = false

    init(_ arguments: [String], command: String) throws(UsageError) {
        self.command = command
        let takesValue = Self.valueOptions[command, default: ["--home"]].union(["--home"])
        let takesFlag = Self.flagOptions[command, default: []]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                wantsHelp = true
                continue
            }
            if argument == "--" {
                positionals += arguments[index...]
                break
            }
            guard argument.hasPrefix("--") else {
                positionals.append(argument)
                continue
            }
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if takesFlag.contains(name) {
                guard inline == nil else { throw UsageError("\(name) takes no value", command: command) }
                flags.insert(name)
            } else if takesValue.contains(name) {
                if let inline {
                    values.append((name, inline))
                } else {
                    guard index < arguments.count else { throw UsageError("\(name) needs a value", command: command) }
                    values.append((name, arguments[index]))
                    index += 1
                }
            } else {
                throw UsageError("unknown option '\(name)' for \(command)", command: command)
            }
        }
    }

    /// The single value of an option, if given; given twice is an error.
    mutating func value(_ name: String) throws(UsageError) -> String? {
        consumed.insert(name)
        let found = values.filter { $0.0 == name }.map(\.1)
        guard found.count <= 1 else { throw UsageError("\(name) was given more than once", command: command) }
        return found.first
    }

    /// Every value of a repeatable option, in order.
    mutating func values(_ name: String) throws(UsageError) -> [String] {
        consumed.insert(name)
        return values.filter { $0.0 == name }.map(\.1)
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The one positional argument, the job directory: the current directory when none is given.
    mutating func directory() throws(UsageError) -> String {
        guard positionals.count <= 1 else {
            throw UsageError(
                "\(command) takes one job directory, got \(positionals.count) arguments",
                command: command
            )
        }
        defer { positionals = [] }
        return positionals.first ?? "."
    }

    func finish() throws(UsageError) {
        if let extra = positionals.first { throw UsageError("unexpected argument '\(extra)'", command: command) }
    }
}
