/// A critique setting that is unknown or has a value outside what is allowed.
public struct CritiqueConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the bad value came from: an environment variable or a configuration key.
    public var source: String
    /// The value as given (`nil` when the setting itself is unknown).
    public var value: String?
    /// What would have been accepted.
    public var allowed: String

    /// Creates an error naming the source, the value and what is allowed.
    public init(source: String, value: String?, allowed: String) {
        self.source = source
        self.value = value
        self.allowed = allowed
    }

    public var description: String {
        if let value {
            return "\(self.source): \"\(value)\" is not allowed; expected \(self.allowed)"
        }
        return "\(self.source) is not a critique setting; known settings: \(self.allowed)"
    }
}
