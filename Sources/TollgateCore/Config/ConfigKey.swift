import Foundation

/// One configuration key: its dotted name, the kind of value it takes, its default and a one-line doc.
public struct ConfigKey: Sendable, Equatable {
    /// The kind of value a key takes, with the bounds a value must respect.
    public enum Kind: Sendable, Equatable {
        case string
        case int(ClosedRange<Int>)
        case double(ClosedRange<Double>)
        case bool
        case choice([String])
        case strings
        /// A string that must not be empty or only white space (a command that must run).
        case nonEmptyString
        /// A list of names, each non-empty and given once (user logins).
        case names
        /// A list whose every item is one of these.
        case choices([String])
        /// A JSON list of gates (``GateSpec``), items plain command strings too when `commandStrings`.
        case gates(commandStrings: Bool)
    }

    /// The dotted name, as written in `--set` and in the flattened JSON (`agent.command`).
    public let name: String
    public let kind: Kind
    public let defaultValue: ConfigValue
    /// One line saying what the key does, shown in `docs/configuration.md`.
    public let doc: String
    /// Why the bounds are what they are, added to the error message of a value out of range.
    public let limitNote: String?

    public init(_ name: String, _ kind: Kind, default defaultValue: ConfigValue, doc: String, limitNote: String? = nil)
    {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
        self.limitNote = limitNote
    }

    /// What a value of this key may be, in words: `an integer of at least 1`, `one of: a, b`.
    public var allowed: String {
        let base: String
        switch self.kind {
        case .string: base = "a string"
        case .bool: base = "true or false"
        case .strings: base = "a list of strings (with --set: comma-separated)"
        case .choice(let choices): base = "one of: " + choices.joined(separator: ", ")
        case .nonEmptyString: base = "a non-empty string"
        case .names:
            base = "a list of names, each non-empty, without spaces and given once (with --set: comma-separated)"
        case .choices(let choices):
            base = "a list of: " + choices.joined(separator: ", ") + " (with --set: comma-separated)"
        case .gates(let commandStrings):
            base =
                "a JSON list of gates, each {\"name\": \"\(GateSpec.namePattern)\", \"command\": \"…\", "
                + "\"timeoutSeconds\": 1 or more (optional)}\(commandStrings ? " or a command string" : ""), names unique"
                + " (with --set: the same JSON\(commandStrings ? ", or commands comma-separated" : ""))"
        case .int(let range):
            base = Self.describe(range, noun: "an integer", lowest: Int.min, highest: Int.max)
        case .double(let range):
            base = Self.describe(range, noun: "a number", lowest: -Double.infinity, highest: Double.infinity)
        }
        if let note = self.limitNote { return "\(base) (\(note))" }
        return base
    }

    /// Checks a value against this key's kind and bounds, converting between integer and number where exact.
    ///
    /// An integer is accepted for a number key (`1` for `1.0`), and a whole number for an integer key.
    /// - Parameter source: the layer the value comes from, named in the error.
    /// - Returns: the value in this key's kind.
    /// - Throws: `ConfigError.invalidValue` naming the source, the key and what is allowed.
    public func validate(_ value: ConfigValue, source: String) throws(ConfigError) -> ConfigValue {
        switch (self.kind, value) {
        case (.string, .string):
            return value
        case (.bool, .bool):
            return value
        case (.strings, .strings):
            return value
        case (.choice(let choices), .string(let text)) where choices.contains(text):
            return value
        case (.nonEmptyString, .string(let text)) where !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty:
            return value
        case (.names, .strings(let names)):
            let clean = names.allSatisfy { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.contains(" ") }
            if clean && Set(names).count == names.count { return value }
        case (.choices(let choices), .strings(let items)) where items.allSatisfy(choices.contains):
            return value
        case (.gates(let commandStrings), .strings(let commands)) where commandStrings || commands.isEmpty:
            // The list-of-commands form: blank commands are dropped, as they always were.
            let kept = commands.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            return try self.validate(.gates(kept.map(GateSpec.init(command:))), source: source)
        case (.gates(let commandStrings), .gates(let gates)):
            let strings = gates.filter { $0.name == $0.command && $0.timeoutSeconds == nil }
            if let problem = GateSpec.check(gates) {
                throw .invalidValue(
                    source: source,
                    key: self.name,
                    value: value.description,
                    allowed: "\(problem); \(self.allowed)"
                )
            }
            if commandStrings || strings.allSatisfy({ GateSpec.isValidName($0.name) }) { return value }
        case (.int(let range), .int(let number)) where range.contains(number):
            return value
        case (.int(let range), .double(let number)):
            if let exact = Int(exactly: number), range.contains(exact) { return .int(exact) }
        case (.double(let range), .double(let number)) where range.contains(number):
            return value
        case (.double(let range), .int(let number)) where range.contains(Double(number)):
            return .double(Double(number))
        default:
            break
        }
        throw self.invalid(value.description, source: source)
    }

    /// Parses the text after `=` in `--set KEY=VALUE` by this key's kind, then validates it.
    ///
    /// Integers and numbers are parsed as such, booleans are `true` or `false`, lists are comma-separated
    /// (an empty text is the empty list); strings and choices are taken as written.
    /// - Throws: `ConfigError.invalidValue` when the text is not a value of this kind.
    public func parse(_ text: String, source: String) throws(ConfigError) -> ConfigValue {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let value: ConfigValue?
        switch self.kind {
        case .string, .choice, .nonEmptyString:
            value = .string(text)
        case .int:
            value = Int(trimmed).map(ConfigValue.int)
        case .double:
            value = Double(trimmed).flatMap { $0.isFinite ? ConfigValue.double($0) : nil }
        case .bool:
            value = trimmed == "true" ? .bool(true) : trimmed == "false" ? .bool(false) : nil
        case .gates(let commandStrings) where commandStrings && !trimmed.hasPrefix("["):
            // Plain commands, comma-separated, as this key always took them.
            value = .strings(
                trimmed.isEmpty
                    ? [] : trimmed.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            )
        case .gates(let commandStrings):
            switch GateSpec.list(fromJSON: Data(trimmed.utf8), allowingCommands: commandStrings) {
            case .success(let gates): value = .gates(gates)
            case .failure(let problem):
                throw .invalidValue(
                    source: source,
                    key: self.name,
                    value: ConfigValue.quoted(text),
                    allowed: "\(problem); \(self.allowed)"
                )
            }
        case .strings, .names, .choices:
            value = .strings(
                trimmed.isEmpty
                    ? []
                    : trimmed.split(separator: ",", omittingEmptySubsequences: false)
                        .map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            )
        }
        guard let value else { throw self.invalid(ConfigValue.quoted(text), source: source) }
        return try self.validate(value, source: source)
    }

    private func invalid(_ shown: String, source: String) -> ConfigError {
        .invalidValue(source: source, key: self.name, value: shown, allowed: self.allowed)
    }

    private static func describe<T: Comparable>(
        _ range: ClosedRange<T>,
        noun: String,
        lowest: T,
        highest: T
    ) -> String {
        switch (range.lowerBound == lowest, range.upperBound == highest) {
        case (true, true): return noun
        case (false, true): return "\(noun) of at least \(range.lowerBound)"
        case (true, false): return "\(noun) of at most \(range.upperBound)"
        case (false, false): return "\(noun) from \(range.lowerBound) to \(range.upperBound)"
        }
    }
}
