import Foundation

/// Writes and reads `transcript.ndjson`: a header line with the protocol version, then one event a line.
///
/// Each line is a compact JSON object with sorted keys. The header comes first so a reader knows which
/// grammar produced the events before it reads any of them:
///
/// ```
/// {"format":"tollgate-critique-transcript","protocolVersion":1}
/// {"round":1,"type":"round_started"}
/// ```
public enum CritiqueTranscript {
    /// The value of the header's `format` field.
    public static let format = "tollgate-critique-transcript"

    /// The first line of every transcript.
    public struct Header: Sendable, Equatable, Codable {
        /// Always ``CritiqueTranscript/format``.
        public var format: String
        /// The protocol version the events were parsed with.
        public var protocolVersion: Int

        /// Creates a header for `version`.
        public init(version: CritiqueProtocol) {
            self.format = CritiqueTranscript.format
            self.protocolVersion = version.rawValue
        }
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One event's line, without its newline (for appending to a transcript as events arrive).
    public static func line(for event: CritiqueEvent) throws -> String {
        String(decoding: try Self.encoder().encode(event), as: UTF8.self)
    }

    /// A whole transcript: the header, then every event, each line ending in a newline.
    public static func render(_ events: [CritiqueEvent], version: CritiqueProtocol = .current) throws -> String {
        let encoder = Self.encoder()
        var text = String(decoding: try encoder.encode(Header(version: version)), as: UTF8.self) + "\n"
        for event in events {
            text += String(decoding: try encoder.encode(event), as: UTF8.self) + "\n"
        }
        return text
    }

    /// Reads a transcript back into its version and events; blank lines are skipped.
    ///
    /// - Throws: ``CritiqueParseError`` (`malformed_block` naming the line, or `unsupported_version`).
    public static func read(_ text: String) throws(CritiqueParseError) -> (
        version: CritiqueProtocol, events: [CritiqueEvent]
    ) {
        let decoder = JSONDecoder()
        var version: CritiqueProtocol?
        var events: [CritiqueEvent] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let data = Data(line.utf8)
            guard version != nil else {
                guard let header = try? decoder.decode(Header.self, from: data), header.format == Self.format else {
                    throw CritiqueParseError(
                        .malformedBlock,
                        detail: "line \(index + 1): expected the transcript header first"
                    )
                }
                guard let supported = CritiqueProtocol(rawValue: header.protocolVersion) else {
                    throw CritiqueParseError(
                        .unsupportedVersion,
                        detail: "transcript protocol version \(header.protocolVersion) is not supported"
                    )
                }
                version = supported
                continue
            }
            do {
                events.append(try decoder.decode(CritiqueEvent.self, from: data))
            } catch {
                throw CritiqueParseError(.malformedBlock, detail: "line \(index + 1): \(error)")
            }
        }
        guard let version else { throw CritiqueParseError(.malformedBlock, detail: "the transcript is empty") }
        return (version, events)
    }
}
