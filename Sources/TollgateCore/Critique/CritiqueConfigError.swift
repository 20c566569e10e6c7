/// A critique setting that is unknown or has a value outside what is allowed.
public struct CritiqueConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the bad value came from: an environment variable or a configuration key.
    public var source: String
    /// The value as given (`nil` when the setting itself is unknown).
    public var value: String?
    /// What would have been accepted.
    public var allowed: String
    /// For an unknown setting, the known one it is most likely a misspelling of.
    public var suggestion: String?

    /// Creates an error naming the source, the value, what is allowed and, for an unknown setting, a
    /// likely intended one.
    public init(source: String, value: String?, allowed: String, suggestion: String? = nil) {
        self.source = source
        self.value = value
        self.allowed = allowed
        self.suggestion = suggestion
    }

    public var description: String {
        if let value {
            return "\(self.source): \"\(value)\" is not allowed; expected \(self.allowed)"
        }
        let hint = self.suggestion.map { " (did you mean \($0)?)" } ?? ""
        return "\(self.source) is not a critique setting\(hint); known settings: \(self.allowed)"
    }
}
