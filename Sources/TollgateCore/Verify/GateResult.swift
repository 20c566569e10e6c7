/// How one gate ended (DESIGN §10): `verify/phase-N/rev-M/gates.json` holds one a gate.
public struct GateResult: Sendable, Equatable, Codable {
    /// The gate's name.
    public var name: String
    /// The command that ran.
    public var command: String
    /// Whether it passed: it exited with status 0 within its time.
    public var passed: Bool
    /// Its exit status; nil when it was killed by a signal, stopped at its time limit, or could not start.
    public var exitCode: Int32?
    /// The signal that killed it, when one did (not the one tollgate sent at the time limit).
    public var signal: Int32?
    /// Whether it ran past its time limit and was stopped.
    public var timedOut: Bool
    /// The time limit it ran under, in seconds.
    public var timeoutSeconds: Int
    /// How long it ran, in milliseconds.
    public var durationMs: Int
    /// The end of its output (stdout and stderr together), secrets redacted, cut at a line start.
    public var outputTail: String
    /// The SHA-256 of its whole output as written (before redaction), hexadecimal.
    public var outputSHA256: String
    /// The size of its whole output in bytes.
    public var outputBytes: Int
    /// Why it could not start, when it could not.
    public var startError: String?
    /// When it ran past a time limit that a hard seconds cap set (shorter than its own timeout): the sentence that
    /// says the budget stopped it, naming the cap and the command that raises it (DESIGN §11).
    public var budgetStop: String?

    /// Creates a result.
    public init(
        name: String,
        command: String,
        passed: Bool,
        exitCode: Int32?,
        signal: Int32? = nil,
        timedOut: Bool = false,
        timeoutSeconds: Int,
        durationMs: Int,
        outputTail: String = "",
        outputSHA256: String = SHA256.hex(of: []),
        outputBytes: Int = 0,
        startError: String? = nil
    ) {
        self.name = name
        self.command = command
        self.passed = passed
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.timeoutSeconds = timeoutSeconds
        self.durationMs = durationMs
        self.outputTail = outputTail
        self.outputSHA256 = outputSHA256
        self.outputBytes = outputBytes
        self.startError = startError
    }

    /// How it ended, in words: `passed`, `exit 1`, `timed out after 600 s`, `killed by signal 9`, `did not start`.
    public var outcome: String {
        if passed { return "passed" }
        if timedOut, budgetStop != nil { return "stopped by the budget after \(timeoutSeconds) s" }
        if timedOut { return "timed out after \(timeoutSeconds) s" }
        if startError != nil { return "did not start" }
        if let signal { return "killed by signal \(signal)" }
        return "exit \(exitCode.map(String.init) ?? "?")"
    }
}
