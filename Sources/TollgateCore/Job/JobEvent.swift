/// One entry of the job's evidence trail, before the store gives it a sequence number and a time.
public struct JobEvent: Codable, Sendable, Equatable {
    /// Dotted, for example `phase.started`, `review.opened`, `phase.merged`.
    public var type: JobEventType
    public var phase: Int?
    public var revision: Int?
    /// Flat string data, sorted when encoded.
    public var data: [String: String]

    public init(type: JobEventType, phase: Int? = nil, revision: Int? = nil, data: [String: String] = [:]) {
        self.type = type
        self.phase = phase
        self.revision = revision
        self.data = data
    }
}

/// An event as stored in `events.ndjson`.
public struct RecordedEvent: Codable, Sendable, Equatable {
    public var seq: Int
    /// ISO 8601, UTC.
    public var at: String
    public var type: JobEventType
    public var phase: Int?
    public var revision: Int?
    public var data: [String: String]

    public init(seq: Int, at: String, event: JobEvent) {
        self.seq = seq
        self.at = at
        self.type = event.type
        self.phase = event.phase
        self.revision = event.revision
        self.data = event.data
    }
}
