import Foundation
import TollgateCore

/// `job.json` on the state branch: the job's state and its resolved configuration, each value with its source.
///
/// Readers decode ``VersionProbe`` first and refuse a version they do not know. Version 2 keeps the events in the
/// state commits' messages (``StateStore``) and counts them here, and all but the last few merged phases in
/// `merged/*.json` beside it; version 1 kept every event in `events.ndjson` and every merged phase here. A version 1
/// document is read, and written back as version 2 by the next transition.
public struct JobDocument: Codable, Sendable, Equatable {
    /// The version this build writes.
    public static let currentVersion = 2
    /// The versions this build reads.
    static let readableVersions = 1...currentVersion

    public var version: Int
    public var job: JobState
    public var config: ResolvedConfig
    /// How many events the trail holds: the last one's `seq` (set by the store when it records events).
    public var eventCount: Int
    /// On the branch: how many of the first merged phases live in `merged/*.json` rather than in `job.merged` (set
    /// by the store, which reads them back into `job.merged`; in memory `job.merged` always holds every one).
    public var mergedInFiles: Int

    public init(job: JobState, config: ResolvedConfig) {
        self.version = Self.currentVersion
        self.job = job
        self.config = config
        self.eventCount = 0
        self.mergedInFiles = 0
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.version = try container.decode(Int.self, forKey: .version)
        self.job = try container.decode(JobState.self, forKey: .job)
        self.config = try container.decode(ResolvedConfig.self, forKey: .config)
        // Version 1 has no count: the store counts the lines of its events.ndjson.
        self.eventCount = try container.decodeIfPresent(Int.self, forKey: .eventCount) ?? 0
        self.mergedInFiles = try container.decodeIfPresent(Int.self, forKey: .mergedInFiles) ?? 0
    }

    /// Only the version, read before anything else.
    struct VersionProbe: Decodable {
        var version: Int
    }

    /// Pretty, sorted JSON with a final newline: stable and diffable.
    func encoded() throws -> Data {
        var data = try JSONCoding.encoder.encode(self)
        data.append(0x0A)
        return data
    }

    static func decode(_ data: Data, path: String) throws -> JobDocument {
        let probe: VersionProbe
        do {
            probe = try JSONDecoder().decode(VersionProbe.self, from: data)
        } catch {
            throw EngineError.corruptState(path: path, reason: "job.json has no readable version: \(error)")
        }
        guard readableVersions.contains(probe.version) else {
            throw EngineError.unsupportedStateVersion(found: probe.version, supported: currentVersion)
        }
        do {
            return try JSONDecoder().decode(JobDocument.self, from: data)
        } catch {
            throw EngineError.corruptState(path: path, reason: "job.json does not decode: \(error)")
        }
    }
}

/// The JSON coders every persisted file uses.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// One line per value: an event in a state commit's message, a line of `tollgate log --json`.
    static let lineEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
