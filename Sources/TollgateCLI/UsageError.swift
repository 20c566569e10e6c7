/// A command line that cannot be acted on: exit 64 with the message and a pointer to `--help`.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The command whose help to point at, if known.
    public var command: String?

    public init(_ message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }

    public var description: String {
        let help = command.map { "tollgate \($0) --help" } ?? "tollgate --help"
        return "\(message)\nSee `\(help)`."
    }
}
