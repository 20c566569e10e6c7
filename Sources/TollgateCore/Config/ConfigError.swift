/// A configuration that cannot be used: each case names where it came from and what is allowed.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not valid JSON; `detail` is the parser's message.
    case malformedJSON(source: String, detail: String)
    /// The file is valid JSON but not an object of keys.
    case notAnObject(source: String)
    /// A key that no schema entry has, with the closest known key when one is near.
    case unknownKey(source: String, key: String, suggestion: String?)
    /// A value of the wrong type, out of range or not one of the choices.
    case invalidValue(source: String, key: String, value: String, allowed: String)
    /// The same key set twice in one file (for example once nested, once dotted).
    case duplicateKey(source: String, key: String)
    /// A `--set` argument without `=`.
    case missingEquals(source: String, argument: String)
    /// A `TOLLGATE_CRITIQUE_*` variable that names no setting, with the variable it most likely misspells.
    case unknownVariable(name: String, suggestion: String?)
    /// An expert with no file in `config/experts/`.
    case unknownExpert(name: String, available: [String])

    public var description: String {
        switch self {
        case .malformedJSON(let source, let detail):
            return "\(source): not valid JSON: \(detail)"
        case .notAnObject(let source):
            return "\(source): expected a JSON object of settings, such as {\"autonomy\": \"partial\"}"
        case .unknownKey(let source, let key, let suggestion):
            let hint = suggestion.map { "; did you mean \"\($0)\"?" } ?? "; see docs/configuration.md for the keys"
            return "\(source): unknown key \"\(key)\"\(hint)"
        case .invalidValue(let source, let key, let value, let allowed):
            return "\(source): \"\(key)\" is \(value); allowed: \(allowed)"
        case .duplicateKey(let source, let key):
            return "\(source): \"\(key)\" is set twice"
        case .missingEquals(let source, let argument):
            return "\(source) \(ConfigValue.quoted(argument)): expected KEY=VALUE, such as \(source) autonomy=full"
        case .unknownVariable(let name, let suggestion):
            let hint = suggestion.map { "did you mean \($0)?" } ?? "docs/configuration.md lists the variables."
            return "the environment variable \(name) is not a setting; \(hint) Fix its name or unset it."
        case .unknownExpert(let name, let available):
            let list = available.isEmpty ? "(none found)" : available.joined(separator: ", ")
            return "unknown expert \"\(name)\"; available experts: \(list)"
        }
    }
}
