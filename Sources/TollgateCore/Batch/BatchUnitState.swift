import Foundation

/// Where one unit of a batch stands: `queued → running →` one of the finished states, or `blocked` when a budget's
/// hard cap kept it from starting (not finished: a resumed batch runs it).
public enum BatchUnitState: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Waiting for a free slot.
    case queued
    /// Its critic (or reviser) is running.
    case running
    /// Its critique shipped.
    case shipped
    /// No round met the ship rule.
    case belowThreshold = "below_threshold"
    /// The critic's stream broke the protocol.
    case degraded
    /// The critic failed, timed out, or could not be started.
    case failed
    /// A hard cap of the batch or of the project's day would have been crossed by its next run, so it did not run.
    case blocked

    /// The state a finished critique leaves its unit in; nil for an interrupted one, which is not finished (a
    /// resumed batch critiques it again).
    public init?(_ status: CritiqueStatus) {
        switch status {
        case .shipped: self = .shipped
        case .belowThreshold: self = .belowThreshold
        case .degraded: self = .degraded
        case .failed, .timedOut: self = .failed
        case .interrupted: return nil
        }
    }

    /// Whether the unit is done (a resumed batch skips it).
    public var isFinished: Bool { self != .queued && self != .running && self != .blocked }

    /// The words progress lines and reports use (`below threshold`).
    public var words: String {
        rawValue.utf8.contains(UInt8(ascii: "_")) ? rawValue.replacingOccurrences(of: "_", with: " ") : rawValue
    }

    public var description: String { rawValue }
}
