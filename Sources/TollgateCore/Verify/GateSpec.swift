import Foundation

/// One gate: a shell command run by `/bin/sh -c`, under a name, with a time limit (DESIGN §10).
///
/// The one form of `verify.gates` and `critique.revision.gates`: `{"name": "test", "command": "swift test",
/// "timeoutSeconds": 900}`. The critique loop's gates may still be plain strings, each a gate named by its command.
public struct GateSpec: Sendable, Hashable, Codable {
    /// What a gate's name may be: it is part of the commit status context `tollgate/gate/<name>`.
    public static let namePattern = "[A-Za-z0-9._-]{1,40}"

    /// The time limit of a `verify.gates` gate that names none, in seconds.
    public static let defaultVerifyTimeoutSeconds = 600

    /// The name, unique among the gates of one key.
    public var name: String
    /// The command, run by `/bin/sh -c` in the workspace.
    public var command: String
    /// Seconds it may run before it is stopped and fails; nil takes the key's default.
    public var timeoutSeconds: Int?

    /// Creates a gate.
    public init(name: String, command: String, timeoutSeconds: Int? = nil) {
        self.name = name
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    /// A gate given as a plain string: named by its command, with the key's time limit.
    public init(command: String) {
        self.init(name: command, command: command)
    }

    /// Whether `name` matches ``namePattern``.
    public static func isValidName(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }

    /// The keys a gate object may have.
    public static let keys = ["command", "name", "timeoutSeconds"]

    /// Reads a JSON list of gates, as a config file or `--set` gives it.
    ///
    /// - Parameter allowingCommands: whether an item may be a plain string (a gate named by its command).
    /// - Returns: the gates, or the first problem in words (`gate 2 has no "command"`).
    public static func list(fromJSON data: Data, allowingCommands: Bool) -> Result<[GateSpec], Problem> {
        let items: [Item]
        do {
            items = try JSONDecoder().decode([Item].self, from: data)
        } catch {
            return .failure(Problem(description: Self.describe(error)))
        }
        var gates: [GateSpec] = []
        for (offset, item) in items.enumerated() {
            switch item {
            case .command(let command):
                guard allowingCommands else {
                    return .failure(
                        Problem(description: "gate \(offset + 1) is a string; write {\"name\": …, \"command\": …}")
                    )
                }
                gates.append(GateSpec(command: command))
            case .gate(let gate):
                gates.append(gate)
            case .unknownKeys(let keys):
                return .failure(
                    Problem(
                        description:
                            "gate \(offset + 1) has the unknown key \(keys.map { "\"\($0)\"" }.joined(separator: ", "))"
                    )
                )
            }
        }
        if let problem = check(gates) { return .failure(problem) }
        return .success(gates)
    }

    /// The first thing wrong with a list of gates: a name off ``namePattern`` (plain-string gates excepted), a blank
    /// command, a time limit under 1 second, or a name given twice; nil when there is none.
    public static func check(_ gates: [GateSpec]) -> Problem? {
        var seen: Set<String> = []
        for (offset, gate) in gates.enumerated() {
            let number = offset + 1
            if gate.command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                return Problem(description: "gate \(number) has an empty command")
            }
            if gate.name != gate.command, !isValidName(gate.name) {
                return Problem(description: "gate \(number)'s name \"\(gate.name)\" is not \(namePattern)")
            }
            if let seconds = gate.timeoutSeconds, seconds < 1 {
                return Problem(description: "gate \(number)'s timeoutSeconds is \(seconds), not 1 or more")
            }
            if !seen.insert(gate.name).inserted {
                return Problem(description: "the name \"\(gate.name)\" is given to two gates")
            }
        }
        return nil
    }

    /// What is wrong with a list of gates, in words.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    // MARK: - Codable

    enum CodingKeys: String, CodingKey {
        case name, command, timeoutSeconds
    }

    /// Decodes the object form, or a plain string as a gate named by its command.
    public init(from decoder: any Decoder) throws {
        if let command = try? decoder.singleValueContainer().decode(String.self) {
            self.init(command: command)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Read as a number first: Foundation on Linux reports 1.5 read as an Int as JSON that is not valid.
        let seconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        guard seconds.map({ Int(exactly: $0) != nil }) ?? true else {
            throw DecodingError.typeMismatch(
                Int.self,
                .init(codingPath: container.codingPath + [CodingKeys.timeoutSeconds], debugDescription: "not whole")
            )
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            command: try container.decode(String.self, forKey: .command),
            timeoutSeconds: seconds.flatMap { Int(exactly: $0) }
        )
    }

    /// One item of a list as written: a string, a gate object, or an object with keys a gate does not have.
    private enum Item: Decodable {
        case command(String)
        case gate(GateSpec)
        case unknownKeys([String])

        private struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            if let command = try? decoder.singleValueContainer().decode(String.self) {
                self = .command(command)
                return
            }
            let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
                .filter { !GateSpec.keys.contains($0) }.sorted()
            self = unknown.isEmpty ? .gate(try GateSpec(from: decoder)) : .unknownKeys(unknown)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "\(place(context.codingPath)) has no \"\(key.stringValue)\""
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            let path = context.codingPath
            if let key = path.last, key.intValue == nil {
                let kind = key.stringValue == "timeoutSeconds" ? "a whole number" : "a string"
                return "\(place(path.dropLast()))'s \"\(key.stringValue)\" is not \(kind)"
            }
            return path.isEmpty ? "not a JSON list" : "\(place(path)) is not a gate object"
        default:
            return "not valid JSON"
        }
    }

    /// "gate N" for the list item a coding path starts at.
    private static func place(_ path: some Collection<any CodingKey>) -> String {
        guard let index = path.first?.intValue else { return "the list" }
        return "gate \(index + 1)"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(command, forKey: .command)
        try container.encodeIfPresent(timeoutSeconds, forKey: .timeoutSeconds)
    }
}
