/// What a round decided: go on with another round, or ship.
public enum CritiqueDecision: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The round did not meet the ship rule; another round may follow.
    case `continue`
    /// The round met the ship rule.
    case ship

    public var description: String { self.rawValue }
}
