import Foundation
import TollgateCore

/// The job's state and its resolved configuration, each value with its source: what the state branch's tip holds.
///
/// Readers decode ``VersionProbe`` first and refuse a version they do not know. Version 3 (this build's) keeps the
/// configuration in `config.json` beside `job.json`, written only when it changes, so a transition encodes and
/// writes the job's state alone; `job.json` is ``JobFile``. Version 2 had the configuration inside `job.json`;
/// version 1 also kept every event in `events.ndjson` and every merged phase in `job.json`. Versions 1 and 2 are
/// read, and written back as version 3 by the next transition (``StateStore``).
public struct JobDocument: Codable, Sendable, Equatable {
    /// The version this build writes.
    public static let currentVersion = 3
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

    /// `job.json` of version 3: the document without its configuration, which is `config.json`.
    struct JobFile: Codable {
        var version: Int
        var job: JobState
        var eventCount: Int
        var mergedInFiles: Int
    }

    /// Only the version, read before anything else.
    struct VersionProbe: Decodable {
        var version: Int
    }

    /// `job.json` as this build writes it (version 3, without the configuration).
    func encodedJobFile() throws -> Data {
        let file = JobFile(version: version, job: job, eventCount: eventCount, mergedInFiles: mergedInFiles)
        return StateStore.lines(try JSONCoding.encoder.encode(file))
    }

    /// `config.json`: the resolved configuration.
    func encodedConfig() throws -> Data {
        StateStore.lines(try JSONCoding.encoder.encode(config))
    }

    /// Reads `job.json`, and for version 3 `config.json` beside it.
    /// - Parameter config: the tip's `config.json`, nil when it has none (versions 1 and 2).
    static func decode(_ data: Data, config: Data?, path: String) throws -> JobDocument {
        let probe: VersionProbe
        do {
            probe = try JSONDecoder().decode(VersionProbe.self, from: data)
        } catch {
            throw EngineError.corruptState(path: path, reason: "job.json has no readable version: \(error)")
        }
        guard readableVersions.contains(probe.version) else {
            throw EngineError.unsupportedStateVersion(found: probe.version, supported: currentVersion)
        }
        guard probe.version >= 3 else {
            do {
                return try JSONDecoder().decode(JobDocument.self, from: data)
            } catch {
                throw EngineError.corruptState(path: path, reason: "job.json does not decode: \(error)")
            }
        }
        let file: JobFile
        do {
            file = try JSONDecoder().decode(JobFile.self, from: data)
        } catch {
            throw EngineError.corruptState(path: path, reason: "job.json does not decode: \(error)")
        }
        guard let config else {
            throw EngineError.corruptState(path: path, reason: "job.json is version 3 but config.json is missing")
        }
        var document: JobDocument
        do {
            document = JobDocument(job: file.job, config: try JSONDecoder().decode(ResolvedConfig.self, from: config))
        } catch {
            throw EngineError.corruptState(path: path, reason: "config.json does not decode: \(error)")
        }
        document.version = file.version
        document.eventCount = file.eventCount
        document.mergedInFiles = file.mergedInFiles
        return document
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
