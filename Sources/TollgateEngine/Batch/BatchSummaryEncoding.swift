import Foundation
import TollgateCore

/// `summary.json` (and `report.md`) assembled from pieces: each unit's object (and row) is made once and reused while
/// its line is unchanged.
///
/// A batch writes its summary again after every unit, and the summary lists every unit: encoded whole each time, the
/// JSON encoder's work grew with the batch (15 % of a 1,000-unit batch's samples). Here a write re-encodes the units
/// that changed and copies the others' bytes. The result is byte for byte what `JSONCoding.encoder` makes of the whole
/// summary (pretty-printed, keys sorted), which a test checks.
final class BatchSummaryEncoding {
    private var units: [String: (line: BatchSummary.Unit, json: Data)] = [:]
    private var rows: [String: (line: BatchSummary.Unit, row: String)] = [:]

    /// The summary's `report.md`, as `summary.report()` gives it, each unit's row made once while its line stands.
    func report(_ summary: BatchSummary) -> String {
        var seen: [String: (line: BatchSummary.Unit, row: String)] = [:]
        seen.reserveCapacity(summary.units.count)
        let text = summary.report { line in
            let row: String
            if let kept = rows[line.unit], kept.line == line {
                row = kept.row
            } else {
                row = BatchSummary.reportLine(line)
            }
            seen[line.unit] = (line, row)
            return row
        }
        rows = seen
        return text
    }

    /// The summary's JSON, as `JSONCoding.encoder.encode(summary)` would give it.
    func encoded(_ summary: BatchSummary) throws -> Data {
        var fields: [(key: String, value: Data)] = [("batch", try Self.encode(summary.batch))]
        if let blocked = summary.blocked { fields.append(("blocked", try Self.encode(blocked))) }
        if let budget = summary.budget { fields.append(("budget", try Self.encode(budget))) }
        fields.append(("counts", try Self.encode(summary.counts)))
        var json = Data("{\n".utf8)
        for field in fields {
            json.append(contentsOf: "  \"\(field.key)\" : ".utf8)
            json.append(Self.indented(field.value, by: 2))
            json.append(contentsOf: ",\n".utf8)
        }
        json.append(contentsOf: "  \"units\" : ".utf8)
        try appendUnits(summary.units, to: &json)
        json.append(contentsOf: "\n}".utf8)
        return json
    }

    /// Appends the `units` array as it stands at the summary's first level: each object four spaces in.
    private func appendUnits(_ lines: [BatchSummary.Unit], to json: inout Data) throws {
        guard !lines.isEmpty else {
            json.append(contentsOf: "[\n\n  ]".utf8)
            return
        }
        var seen: [String: (line: BatchSummary.Unit, json: Data)] = [:]
        seen.reserveCapacity(lines.count)
        json.append(contentsOf: "[\n".utf8)
        for (position, line) in lines.enumerated() {
            let object: Data
            if let kept = units[line.unit], kept.line == line {
                object = kept.json
            } else {
                object = Self.indented(try Self.encode(line), by: 4)
            }
            seen[line.unit] = (line, object)
            json.append(contentsOf: "    ".utf8)
            json.append(object)
            json.append(contentsOf: (position + 1 < lines.count ? ",\n" : "\n").utf8)
        }
        json.append(contentsOf: "  ]".utf8)
        units = seen
    }

    private static func encode(_ value: some Encodable) throws -> Data {
        try JSONCoding.encoder.encode(value)
    }

    /// `json` with every line after the first `spaces` further in, as the encoder writes a value nested deeper (a
    /// string holds no line break: JSON escapes them); an empty line, an empty object's or array's, stays empty.
    private static func indented(_ json: Data, by spaces: Int) -> Data {
        let bytes = [UInt8](json)
        var result = Data()
        result.reserveCapacity(bytes.count + bytes.count / 8)
        let pad = [UInt8](repeating: 0x20, count: spaces)
        for (position, byte) in bytes.enumerated() {
            result.append(byte)
            if byte == 0x0A, position + 1 < bytes.count, bytes[position + 1] != 0x0A { result.append(contentsOf: pad) }
        }
        return result
    }
}
