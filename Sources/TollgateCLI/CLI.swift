import Foundation
import TollgateCore
import TollgateEngine

/// The command line: parses, runs one command, maps every outcome to an exit status.
public enum CLI {
    /// Runs the process's own command line and returns its exit status.
    public static func main() async -> Int32 {
        ignoreSIGPIPE()
        ProcessGroups.installInterruptHandlers()
        let status = await run(arguments: Array(CommandLine.arguments.dropFirst()), output: .standard)
        if let signal = ProcessGroups.interruption { return ExitCode.interrupted(by: signal).rawValue }
        return status.rawValue
    }

    /// Runs one command line; the single place where errors become exit statuses.
    public static func run(arguments: [String], output: Output) async -> ExitCode {
        let invocation: Invocation
        do {
            invocation = try Invocation.parse(arguments)
        } catch {
            output.err("tollgate: \(error.description)")
            return .usage
        }
        do {
            return try await execute(invocation, output: output)
        } catch let error as UsageError {
            output.err("tollgate: \(error.description)")
            return .usage
        } catch let error as ConfigError {
            output.err("tollgate: \(error.description)")
            return isFromCommandLine(error) ? .usage : .failure
        } catch let error as EngineError {
            output.err("tollgate: \(error.description)")
            if case .usage = error { return .usage }
            return .failure
        } catch {
            output.err("tollgate: \(sentence(for: error))")
            return .failure
        }
    }

    static func execute(_ invocation: Invocation, output: Output) async throws -> ExitCode {
        let command = invocation.command
        switch command {
        case .help(let topic):
            output.out(HelpText.text(for: topic))
            return .success
        case .version:
            output.out("tollgate \(TollgateVersion.current) (state layout \(JobDocument.currentVersion))")
            return .success
        case .exampleAgent:
            return try ExampleAgent.run(environment: ProcessInfo.processInfo.environment, output: output)
        case .critique(let critique): return try critique.run(output: output)
        case .batch(let batch): return try await batch.run(output: output)
        case .exampleCritic(let critic): return try critic.run(output: output)
        case .stats(let directory, let json):
            return try StatsCommand.run(directory: url(directory), json: json, output: output)
        default:
            break
        }
        let resources = try ResourceBundle.locate(ResourceLocator(home: invocation.home))
        switch command {
        case .initJob(let directory, let options):
            return try await InitCommand.run(
                directory: url(directory),
                options: options,
                resources: resources,
                output: output
            )
        case .run(let directory):
            let live = invocation.quiet ? nil : LiveProgress(output: output)
            return try await RunCommand.run(directory: url(directory), live: live, resources: resources, output: output)
        case .resume(let directory):
            let live = invocation.quiet ? nil : LiveProgress(output: output)
            return try await ResumeCommand.run(
                directory: url(directory),
                live: live,
                resources: resources,
                output: output
            )
        case .status(let directory, let json):
            return try StatusCommand.run(directory: url(directory), json: json, resources: resources, output: output)
        case .review(let directory, let action, let message, let comments, let reviewer):
            return try ReviewCommand.run(
                directory: url(directory),
                action: action,
                message: message,
                comments: comments,
                reviewer: reviewer ?? defaultReviewer(),
                resources: resources,
                output: output
            )
        case .log(let directory, let json):
            return try LogCommand.run(directory: url(directory), json: json, resources: resources, output: output)
        case .config(let directory, let assignments):
            return try ConfigCommand.run(
                directory: url(directory),
                assignments: assignments,
                resources: resources,
                output: output
            )
        case .cancel(let directory, let message):
            return try await CancelCommand.run(
                directory: url(directory),
                message: message,
                resources: resources,
                output: output
            )
        case .watch(let watch):
            return try await watch.run(resources: resources, output: output)
        case .demo(let directory):
            return try await DemoCommand.run(
                directory: directory.map(url),
                home: invocation.home,
                resources: resources,
                output: output
            )
        case .help, .version, .exampleAgent, .critique, .batch, .exampleCritic, .stats:
            return .success
        }
    }

    /// An unexpected error told as a sentence: a file that cannot be read or written names the file and the
    /// system's reason (not `NSCocoaErrorDomain Code=4`), a decoding error names the field.
    static func sentence(for error: any Error) -> String {
        let described = error as NSError
        if described.domain == NSCocoaErrorDomain, let path = described.userInfo[NSFilePathErrorKey] as? String {
            let underlying = described.userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? "error \(described.code)"
            return "cannot use \(path): \(reason). Check that the job's directory and its .git are still there."
        }
        return DecodingProblem.sentence(error)
    }

    static func url(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }

    static func defaultReviewer() -> String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ""
        return CommitText.problem(withName: user) == nil ? user : "reviewer"
    }

    /// A configuration error caused by the command line (`--set`, a flag, `--expert`) or a `TOLLGATE_CRITIQUE_*`
    /// variable rather than a file.
    private static func isFromCommandLine(_ error: ConfigError) -> Bool {
        switch error {
        case .unknownExpert, .missingEquals, .unknownVariable: return true
        case .unknownKey(let source, _, _), .invalidValue(let source, _, _, _), .duplicateKey(let source, _):
            return source.hasPrefix("--") || source == ConfigLayer.configSetSource
                || ConfigLayer.isEnvironment(source)
        case .malformedJSON, .notAnObject: return false
        }
    }

    private static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}

extension JobSession {
    /// Opens the job for a command and tells the user on standard error what opening it did (a process group left
    /// by a killed tollgate ended, say).
    ///
    /// `accounts`, when given, are shared with the other jobs of the same `watch` round.
    static func open(
        at directory: URL,
        resources: ResourceBundle,
        exclusive: Bool,
        output: Output,
        accounts: GiteaAccounts? = nil
    ) throws -> JobSession {
        let session = try JobSession.open(
            at: directory,
            resources: resources,
            exclusive: exclusive,
            accounts: accounts
        )
        for note in session.notes { output.err("tollgate: \(note)") }
        return session
    }
}

extension ExitCode {
    /// The status for a tollgate interrupted by `signal`: 128 + the signal, as a shell reports it.
    static func interrupted(by signal: Int32) -> ExitCode {
        switch signal {
        case SIGTERM: .interruptedByTERM
        case SIGHUP: .interruptedByHUP
        default: .interruptedByINT
        }
    }
}
