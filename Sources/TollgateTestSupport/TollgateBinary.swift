import Foundation

/// The built `tollgate` executable, run the way a user runs it: arguments, an environment, a working directory, and
/// a timeout; the test gets the exit status, standard output and standard error.
public struct TollgateBinary: Sendable {
    /// The executable.
    public let url: URL
    /// The environment every run starts from: this process's own without any `TOLLGATE_*` variable, with a fixed
    /// user name (the default reviewer).
    public var environment: [String: String]

    /// Finds the executable built next to the test bundle.
    public init() throws {
        self.url = try Self.locate()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TOLLGATE_") }
        environment["USER"] = "tester"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        // Its temporary files (and its agents') where the tests' folders are.
        environment["TMPDIR"] = TemporaryDirectory.root.path
        self.environment = environment
    }

    /// Runs `tollgate <arguments>` to its end.
    /// - Parameters:
    ///   - environment: variables added to (or replacing those of) ``environment``.
    ///   - directory: the working directory; the system's temporary directory when nil.
    ///   - timeout: seconds after which the process is killed (the result says so).
    public func run(
        _ arguments: [String],
        environment extra: [String: String] = [:],
        directory: URL? = nil,
        timeout: Double = 60
    ) async throws -> ProcessResult {
        try await Subprocess.run(
            executable: url,
            arguments: arguments,
            environment: environment.merging(extra) { _, new in new },
            directory: directory ?? TemporaryDirectory.root,
            timeout: timeout
        )
    }

    /// Starts `tollgate <arguments>` and returns at once; ``Subprocess/wait(timeout:)`` collects the result.
    public func start(
        _ arguments: [String],
        environment extra: [String: String] = [:],
        directory: URL? = nil
    ) throws -> Subprocess {
        try Subprocess(
            executable: url,
            arguments: arguments,
            environment: environment.merging(extra) { _, new in new },
            directory: directory ?? TemporaryDirectory.root
        )
    }

    /// Runs `tollgate <arguments>` to its end with standard output and error on a pseudo-terminal of `columns` ×
    /// `rows`, as a user's terminal shows it.
    public func runOnTerminal(
        _ arguments: [String],
        environment extra: [String: String] = [:],
        directory: URL? = nil,
        columns: UInt16 = 80,
        rows: UInt16 = 24,
        timeout: Double = 60
    ) throws -> PseudoTerminal.Result {
        try PseudoTerminal.run(
            executable: url,
            arguments: arguments,
            environment: environment.merging(extra) { _, new in new },
            directory: directory ?? TemporaryDirectory.root,
            columns: columns,
            rows: rows,
            timeout: timeout
        )
    }

    /// The places the executable is looked for, in order: `$TOLLGATE_TEST_BINARY`, the folder of the running test
    /// executable (SwiftPM builds `tollgate` beside `TollgatePackageTests.xctest`), the folder of `argv[0]`, the folder
    /// that holds an `.xctest` bundle (macOS), then `.build/debug` of the source tree.
    public static func candidates(filePath: String = #filePath) -> [URL] {
        var folders: [URL] = []
        if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first, first.contains("/") {
            folders.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        for folder in folders where folder.path.contains(".xctest/") {
            var bundle = folder
            while bundle.pathExtension != "xctest" && bundle.path != "/" { bundle.deleteLastPathComponent() }
            folders.append(bundle.deletingLastPathComponent())
        }
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        folders.append(root.appendingPathComponent(".build/debug"))
        var result = folders.map { $0.appendingPathComponent("tollgate").standardizedFileURL }
        if let explicit = ProcessInfo.processInfo.environment["TOLLGATE_TEST_BINARY"], !explicit.isEmpty {
            result.insert(URL(fileURLWithPath: explicit), at: 0)
        }
        return result
    }

    /// The first candidate that is an executable file.
    public static func locate() throws -> URL {
        let candidates = Self.candidates()
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue
            {
                return candidate
            }
        }
        throw Subprocess.Failure(
            description: "the tollgate executable was not found; build it (`swift build --product tollgate`). Tried: "
                + candidates.map(\.path).joined(separator: ", ")
        )
    }
}
