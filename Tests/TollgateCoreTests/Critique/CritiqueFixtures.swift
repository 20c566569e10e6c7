import Foundation
import TollgateCore

/// The golden critique transcripts under `Fixtures/critique` and the settings they run with.
enum CritiqueFixtures {
    /// Every fixture, by name (`<name>.input.txt`).
    static let names = [
        "happy_three_rounds",
        "unclosed_stream_ends_in_panelist", "unclosed_dim_closed_by_panelist", "unclosed_panelist_before_round_end",
        "oversize_artifact", "oversize_runaway_tag",
        "missing_artifact_designer_without_artifact", "missing_artifact_no_designer",
        "unknown_role_extra_panelist", "unknown_role_replaces_copy",
        "score_out_of_range_high", "score_out_of_range_negative",
        "composite_mismatch_claimed_high", "composite_mismatch_missing_panelist",
        "duplicate_ship_repeated", "duplicate_ship_conflicting",
        "cdata_in_must_fix", "cdata_between_panelists",
        "ansi_colored_tags", "ansi_osc_and_cursor",
    ]

    /// The fixtures run with a small block limit so the oversize cases stay small files.
    static let config: CritiqueConfig = {
        var config = CritiqueConfig.default
        config.parserMaxBlockBytes = 1024
        return config
    }()

    static var options: CritiqueParser.Options { CritiqueParser.Options(Self.config) }

    /// `Tests/TollgateCoreTests/Fixtures/critique`.
    static func directory(filePath: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent("critique")
    }

    static func url(_ file: String) -> URL { Self.directory().appendingPathComponent(file) }

    /// The raw bytes of `<name>.input.txt`.
    static func input(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.url("\(name).input.txt")))
    }

    /// Parses `bytes` fed as the given chunks, draining events after each chunk as a shell would.
    static func events(_ bytes: [UInt8], splitAt offsets: [Int] = [], options: CritiqueParser.Options = Self.options)
        -> [CritiqueEvent]
    {
        var parser = CritiqueParser(options: options)
        var events: [CritiqueEvent] = []
        var start = 0
        for offset in offsets + [bytes.count] {
            parser.append(bytes[start..<offset])
            while let event = parser.next() { events.append(event) }
            start = offset
        }
        return events + parser.finish()
    }

    /// The summary the scoreboard reaches over `events` with the fixtures' configuration.
    static func summary(_ events: [CritiqueEvent]) -> CritiqueSummary {
        var scoreboard = Scoreboard(config: Self.config)
        for event in events { _ = scoreboard.eventReceived(event) }
        return scoreboard.summary
    }
}
