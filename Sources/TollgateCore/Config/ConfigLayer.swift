import Foundation

/// One source of configuration values (a file, a flag, the defaults) and the values it sets.
///
/// Files are JSON objects; nested objects flatten to dotted keys, so `{"agent": {"command": "x"}}` and
/// `{"agent.command": "x"}` are the same layer. A file may also carry the reserved top-level key
/// `description` (a string): metadata shown in listings, never a setting.
public struct ConfigLayer: Sendable, Equatable {
    /// The source label of the schema defaults.
    public static let defaultsSource = "defaults"
    /// The source of values changed on an existing job by `tollgate config DIR --set`.
    public static let configSetSource = "config --set"
    /// The reserved top-level key of a file's one-line description.
    public static let descriptionKey = "description"

    /// Where the values come from: `defaults`, a file such as `config/experts/coder.json`, `--set`, `job`.
    public var source: String
    /// The values, by dotted key.
    public var values: [String: ConfigValue]
    /// The file's `description`, if it has one.
    public var description: String?

    /// Creates a layer from values already typed; they are validated when the layer is resolved.
    public init(source: String, values: [String: ConfigValue], description: String? = nil) {
        self.source = source
        self.values = values
        self.description = description
    }

    /// Creates a one-value layer from the text of a flag, such as `--autonomy full`.
    ///
    /// - Throws: `ConfigError` when the key is unknown or the text is not a valid value for it.
    public init(source: String, key: String, text: String, schema: ConfigSchema = .standard) throws(ConfigError) {
        guard let schemaKey = schema.key(named: key) else {
            throw .unknownKey(source: source, key: key, suggestion: schema.suggestion(for: key))
        }
        self.init(source: source, values: [key: try schemaKey.parse(text, source: source)])
    }

    /// Parses a JSON file's contents into a layer, validating every key and value.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - source: the label named in errors and in resolved values, such as `config/defaults.json`.
    /// - Throws: `ConfigError` for malformed JSON, a non-object, an unknown key, a bad value or a key set twice.
    public init(json data: Data, source: String, schema: ConfigSchema = .standard) throws(ConfigError) {
        let root: JSONNode
        do {
            root = try JSONDecoder().decode(JSONNode.self, from: data)
        } catch {
            throw .malformedJSON(source: source, detail: Self.parserMessage(for: data))
        }
        guard case .object(let members) = root else { throw .notAnObject(source: source) }
        // A JSON object may name a key twice and a decoder keeps one of them without a word; a config file that
        // does so says two things, so it is refused.
        if let repeated = JSONDuplicateKeys.first(in: data) { throw .duplicateKey(source: source, key: repeated) }

        var description: String?
        var flat: [String: JSONNode] = [:]
        for (name, node) in members.sorted(by: { $0.key < $1.key }) {
            if name == Self.descriptionKey {
                guard case .string(let text) = node else {
                    throw .invalidValue(
                        source: source,
                        key: name,
                        value: node.shown,
                        allowed: "a string (the file's description)"
                    )
                }
                description = text
                continue
            }
            try Self.flatten(node, prefix: name, into: &flat, source: source)
        }

        var values: [String: ConfigValue] = [:]
        for (key, node) in flat.sorted(by: { $0.key < $1.key }) {
            guard let schemaKey = schema.key(named: key) else {
                throw .unknownKey(source: source, key: key, suggestion: schema.suggestion(for: key))
            }
            if case .gates = schemaKey.kind, case .array = node {
                // A list of gates holds objects, which no other value does: read it as `--set` reads its JSON.
                values[key] = try schemaKey.parse(node.json, source: source)
                continue
            }
            guard let raw = node.configValue else {
                throw .invalidValue(source: source, key: key, value: node.shown, allowed: schemaKey.allowed)
            }
            values[key] = try schemaKey.validate(raw, source: source)
        }
        self.init(source: source, values: values, description: description)
    }

    /// Parses `--set KEY=VALUE` arguments into one layer; a later assignment of the same key wins.
    ///
    /// Each value is parsed by its key's kind: integers, numbers, `true`/`false`, comma-separated lists.
    /// - Throws: `ConfigError` for an argument without `=`, an unknown key or a bad value.
    public init(
        assignments: [String],
        source: String = "--set",
        schema: ConfigSchema = .standard
    )
        throws(ConfigError)
    {
        var values: [String: ConfigValue] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw .missingEquals(source: source, argument: assignment)
            }
            let key = String(assignment[..<equals]).trimmingCharacters(in: .whitespaces)
            let text = String(assignment[assignment.index(after: equals)...])
            guard let schemaKey = schema.key(named: key) else {
                throw .unknownKey(source: source, key: key, suggestion: schema.suggestion(for: key))
            }
            values[key] = try schemaKey.parse(text, source: source)
        }
        self.init(source: source, values: values)
    }

    private static func flatten(
        _ node: JSONNode,
        prefix: String,
        into flat: inout [String: JSONNode],
        source: String
    ) throws(ConfigError) {
        if case .object(let members) = node {
            for (name, child) in members.sorted(by: { $0.key < $1.key }) {
                try flatten(child, prefix: prefix + "." + name, into: &flat, source: source)
            }
            return
        }
        guard flat[prefix] == nil else { throw .duplicateKey(source: source, key: prefix) }
        flat[prefix] = node
    }

    /// The JSON parser's own account of what is wrong, with the place given as a line and column.
    ///
    /// `JSONDecoder` says only that the data is not valid JSON; `JSONSerialization` says where, as a
    /// character offset, which is turned into `line L, column C` here.
    private static func parserMessage(for data: Data) -> String {
        let fallback = "the data is not valid JSON"
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return fallback
        } catch {
            guard var message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else {
                return fallback
            }
            if let range = message.range(of: #"character \d+"#, options: .regularExpression),
                let offset = Int(message[range].dropFirst("character ".count))
            {
                let prefix = Array(data.prefix(max(0, offset)))
                let line = prefix.count { $0 == UInt8(ascii: "\n") } + 1
                let column = prefix.count - (prefix.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
                message.replaceSubrange(range, with: "line \(line), column \(column)")
            }
            return message
        }
    }
}

/// Any JSON value, decoded without losing the difference between booleans, integers and numbers.
private enum JSONNode: Decodable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONNode].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONNode].self))
        }
    }

    /// The node as a configuration value, or nil for null, objects and lists holding non-strings.
    var configValue: ConfigValue? {
        switch self {
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .array(let items):
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else { return nil }
                strings.append(text)
            }
            return .strings(strings)
        case .null, .object: return nil
        }
    }

    /// The node as JSON text again (keys sorted).
    var json: String {
        switch self {
        case .null: return "null"
        case .bool, .int, .double, .string: return self.shown
        case .array(let items): return "[" + items.map(\.json).joined(separator: ", ") + "]"
        case .object(let members):
            return "{"
                + members.keys.sorted().map { ConfigValue.quoted($0) + ": " + (members[$0]?.json ?? "null") }
                .joined(separator: ", ") + "}"
        }
    }

    /// The node as written in JSON, for error messages.
    var shown: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return ConfigValue.quoted(value)
        case .array(let items): return "[" + items.map(\.shown).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { ConfigValue.quoted($0) + ": …" }.joined(separator: ", ") + "}"
        }
    }
}

/// Finds a key given twice in one JSON object, by a scan of the text (no decoder reports it).
public enum JSONDuplicateKeys {
    /// The dotted path of the first key given twice in the same object, or nil.
    public static func first(in data: Data) -> String? {
        struct Level {
            var isObject: Bool
            var keys: Set<String> = []
            var expectingKey: Bool
            var name: String
        }
        var stack: [Level] = []
        var pendingKey: String?
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                var end = index + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                let text = String(decoding: bytes[(index + 1)..<min(end, bytes.count)], as: UTF8.self)
                if var top = stack.last, top.isObject, top.expectingKey {
                    if top.keys.contains(text) {
                        return (stack.map(\.name).filter { !$0.isEmpty } + [text]).joined(separator: ".")
                    }
                    top.keys.insert(text)
                    top.expectingKey = false
                    stack[stack.count - 1] = top
                    pendingKey = text
                }
                index = end + 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let name = stack.last?.isObject == true ? (pendingKey ?? "") : ""
                stack.append(
                    Level(isObject: byte == UInt8(ascii: "{"), expectingKey: byte == UInt8(ascii: "{"), name: name)
                )
                pendingKey = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
            default:
                break
            }
            index += 1
        }
        return nil
    }
}
