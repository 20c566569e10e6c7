/// How a critique run ended.
public enum CritiqueStatus: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// A round met the ship rule.
    case shipped
    /// No round met the ship rule; the fallback policy chose what to keep (if anything).
    case belowThreshold = "below_threshold"
    /// A round or the whole run ran out of time; the best round so far is kept.
    case timedOut = "timed_out"
    /// A user stopped the run; the best round so far is kept.
    case interrupted
    /// The stream broke the protocol; nothing from it is trusted.
    case degraded
    /// The critic process failed before any round shipped.
    case failed

    public var description: String { self.rawValue }
}
