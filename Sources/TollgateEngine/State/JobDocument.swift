import Foundation
import TollgateCore

/// `job.json` on the state branch: the job's state and its resolved configuration, each value with its source.
///
/// Readers decode ``VersionProbe`` first and refuse a version they do not know.
public struct JobDocument: Codable, Sendable, Equatable {
    public var version: Int
    public var job: JobState
    public var config: ResolvedConfig

    public init(job: JobState, config: ResolvedConfig) {
        self.version = JobState.currentVersion
        self.job = job
        self.config = config
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
        guard probe.version == JobState.currentVersion else {
            throw EngineError.unsupportedStateVersion(found: probe.version, supported: JobState.currentVersion)
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

    /// One line per value, for `events.ndjson`.
    static let lineEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
