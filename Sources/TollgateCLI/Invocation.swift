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
        case batch(BatchCommand)
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
    public static let commands = Subcommand.all.map(\.name)

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
        guard let name = arguments.first else { return Invocation(command: .help(topic: nil), home: nil) }
        if name == "--version" || name == "-V" || name == "version" {
            guard arguments.count == 1 else { throw UsageError("--version takes no argument") }
            return Invocation(command: .version, home: nil)
        }
        if name == "--help" || name == "-h" || name == "help" {
            let topic = arguments.dropFirst().first
            if let topic, Subcommand.named(topic) == nil { throw UsageError("unknown command '\(topic)'") }
            return Invocation(command: .help(topic: topic), home: nil)
        }
        guard let subcommand = Subcommand.named(name) else {
            let hint = closest(to: name).map { " Did you mean '\($0)'?" } ?? ""
            throw UsageError("unknown command '\(name)'.\(hint)")
        }
        var scanner = try OptionScanner(Array(arguments.dropFirst()), for: subcommand)
        if scanner.wantsHelp { return Invocation(command: .help(topic: name), home: nil) }
        let home = try scanner.value("--home")
        let command = try subcommand.parse(&scanner)
        try scanner.finish()
        return Invocation(command: command, home: home, quiet: scanner.flag("--quiet"))
    }

    private static func closest(to name: String) -> String? {
        commands.first { $0.hasPrefix(String(name.prefix(3))) }
    }
}

/// Splits `--name value`, `--name=value`, flags and positionals, and rejects anything the command does not take.
struct OptionScanner {
    var positionals: [String] = []
    private var values: [(String, String)] = []
    private var flags: Set<String> = []
    private var consumed: Set<String> = []
    private let command: String
    private(set) var wantsHelp = false

    init(_ arguments: [String], for subcommand: Subcommand) throws(UsageError) {
        self.command = subcommand.name
        let takesValue = subcommand.options.union(["--home"])
        let takesFlag = subcommand.flags
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

    /// Every `--set KEY=VALUE`, in order; one without `=` is refused.
    mutating func assignments() throws(UsageError) -> [String] {
        let assignments = try values("--set")
        for assignment in assignments where !assignment.contains("=") {
            throw UsageError("--set takes KEY=VALUE, got '\(assignment)'", command: command)
        }
        return assignments
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
