/// One phase of a job, and which attempt at it: the branch it lives on follows from it.
public struct PhaseRef: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The phase number, from 1.
    public var number: Int
    /// Strategic or tactical.
    public var type: PhaseType
    /// 1 for the first attempt; a phase whose review was closed is redone from `main` as attempt 2, then 3, and so on.
    public var attempt: Int

    public init(number: Int, type: PhaseType, attempt: Int = 1) {
        self.number = number
        self.type = type
        self.attempt = attempt
    }

    /// The first phase of every job.
    public static let first = PhaseRef(number: 1, type: .strategic)

    /// `phase-N-type`, or `phase-N-type-rev-M` for a redone phase.
    public var branch: String {
        attempt <= 1 ? "phase-\(number)-\(type.rawValue)" : "phase-\(number)-\(type.rawValue)-rev-\(attempt)"
    }

    /// `N-type`, the value of the `Tollgate-Phase` trailer.
    public var label: String { "\(number)-\(type.rawValue)" }

    /// The phase after this one, first attempt.
    public var successor: PhaseRef { PhaseRef(number: number + 1, type: type.next) }

    /// The same phase redone from `main`.
    public var redone: PhaseRef { PhaseRef(number: number, type: type, attempt: attempt + 1) }

    public var description: String { "phase \(number) (\(type.rawValue))" }
}
