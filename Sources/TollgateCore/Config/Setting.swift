/// A Swift type a configuration value converts to and from: `String`, `Int`, `Double`, `Bool`, `[String]`,
/// or an enumeration of choices.
public protocol ConfigValueConvertible: Sendable, Equatable {
    /// The value held by `value`, or nil when `value` is of another kind.
    init?(configValue value: ConfigValue)
    /// The value as a configuration value.
    var configValue: ConfigValue { get }
}

/// An enumeration whose raw values are the choices of a configuration key (`autonomy`, `review.host`).
public protocol ConfigChoice: ConfigValueConvertible, RawRepresentable<String>, CaseIterable {}

extension ConfigChoice {
    public init?(configValue value: ConfigValue) {
        guard case .string(let text) = value else { return nil }
        self.init(rawValue: text)
    }

    public var configValue: ConfigValue { .string(self.rawValue) }

    /// Every raw value, in declaration order: the choices a key of this type allows.
    static var choices: [String] { Self.allCases.map(\.rawValue) }
}

extension String: ConfigValueConvertible {
    public init?(configValue value: ConfigValue) {
        guard case .string(let text) = value else { return nil }
        self = text
    }

    public var configValue: ConfigValue { .string(self) }
}

extension Int: ConfigValueConvertible {
    public init?(configValue value: ConfigValue) {
        guard case .int(let number) = value else { return nil }
        self = number
    }

    public var configValue: ConfigValue { .int(self) }
}

extension Double: ConfigValueConvertible {
    public init?(configValue value: ConfigValue) {
        guard case .double(let number) = value else { return nil }
        self = number
    }

    public var configValue: ConfigValue { .double(self) }
}

extension Bool: ConfigValueConvertible {
    public init?(configValue value: ConfigValue) {
        guard case .bool(let flag) = value else { return nil }
        self = flag
    }

    public var configValue: ConfigValue { .bool(self) }
}

/// An item of a list-valued key: a string (`critique.artifacts`) or a gate (`verify.gates`).
public protocol ConfigListElement: Sendable, Equatable {
    /// The items `value` holds, or nil when `value` is not a list of this element.
    static func items(of value: ConfigValue) -> [Self]?
    /// The list as a configuration value.
    static func configValue(of items: [Self]) -> ConfigValue
}

extension String: ConfigListElement {
    public static func items(of value: ConfigValue) -> [String]? {
        guard case .strings(let items) = value else { return nil }
        return items
    }

    public static func configValue(of items: [String]) -> ConfigValue { .strings(items) }
}

extension GateSpec: ConfigListElement {
    public static func items(of value: ConfigValue) -> [GateSpec]? {
        guard case .gates(let gates) = value else { return nil }
        return gates
    }

    public static func configValue(of items: [GateSpec]) -> ConfigValue { .gates(items) }
}

extension Array: ConfigValueConvertible where Element: ConfigListElement {
    public init?(configValue value: ConfigValue) {
        guard let items = Element.items(of: value) else { return nil }
        self = items
    }

    public var configValue: ConfigValue { Element.configValue(of: self) }
}

/// A schema key together with the Swift type of its value, so code reads `config[ConfigKeys.reviewHost]` as a
/// ``ReviewHostKind`` and a mistyped key name does not compile.
///
/// The constants live in ``ConfigKeys``; ``ConfigSchema/standard`` is made of them.
public struct Setting<Value: ConfigValueConvertible>: Sendable {
    /// The key as the schema knows it: name, kind, default and doc.
    public let key: ConfigKey
    /// The default, as a `Value`.
    public let defaultValue: Value

    /// The dotted name, as written in `--set` and in the files.
    public var name: String { self.key.name }

    private init(_ name: String, _ kind: ConfigKey.Kind, _ value: Value, _ doc: String, _ limitNote: String?) {
        self.key = ConfigKey(name, kind, default: value.configValue, doc: doc, limitNote: limitNote)
        self.defaultValue = value
    }

    /// The value of this key in `value`, or the default when `value` is of another kind (which resolution, by
    /// validating every value against the key's kind, rules out).
    func value(from value: ConfigValue?) -> Value {
        value.flatMap(Value.init(configValue:)) ?? self.defaultValue
    }
}

extension Setting where Value == String {
    /// Any string.
    static func text(_ name: String, default value: String, doc: String) -> Self {
        Self(name, .string, value, doc, nil)
    }

    /// A string that must not be blank: a command that must run.
    static func command(_ name: String, default value: String, doc: String) -> Self {
        Self(name, .nonEmptyString, value, doc, nil)
    }
}

extension Setting where Value == Int {
    /// A whole number within `range`.
    static func integer(
        _ name: String,
        _ range: ClosedRange<Int>,
        default value: Int,
        doc: String,
        limitNote: String? = nil
    ) -> Self {
        Self(name, .int(range), value, doc, limitNote)
    }
}

extension Setting where Value == Double {
    /// A number within `range`.
    static func number(_ name: String, _ range: ClosedRange<Double>, default value: Double, doc: String) -> Self {
        Self(name, .double(range), value, doc, nil)
    }
}

extension Setting where Value == Bool {
    /// `true` or `false`.
    static func flag(_ name: String, default value: Bool, doc: String) -> Self {
        Self(name, .bool, value, doc, nil)
    }
}

extension Setting where Value == [String] {
    /// A list of strings.
    static func list(_ name: String, default value: [String], doc: String) -> Self {
        Self(name, .strings, value, doc, nil)
    }

    /// A list of user names: each non-empty, without spaces, given once.
    static func names(_ name: String, default value: [String], doc: String) -> Self {
        Self(name, .names, value, doc, nil)
    }

    /// A list whose every item is a raw value of `Choice`.
    static func choices<Choice: ConfigChoice>(
        _ name: String,
        of choice: Choice.Type,
        default value: [Choice],
        doc: String
    ) -> Self {
        Self(name, .choices(Choice.choices), value.map(\.rawValue), doc, nil)
    }
}

extension Setting where Value == [GateSpec] {
    /// A list of gates, `{name, command, timeoutSeconds}` objects in JSON; with `commandStrings`, plain commands too.
    static func gates(_ name: String, commandStrings: Bool, doc: String) -> Self {
        Self(name, .gates(commandStrings: commandStrings), [], doc, nil)
    }
}

extension Setting where Value: ConfigChoice {
    /// One of `Value`'s raw values.
    static func choice(_ name: String, default value: Value, doc: String) -> Self {
        Self(name, .choice(Value.choices), value, doc, nil)
    }
}
