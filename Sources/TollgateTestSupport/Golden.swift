import Foundation
import Testing

/// Golden files: compare a test's output with a file checked in next to the test.
///
/// Goldens live in the `Fixtures` folder beside the calling test file (found through `#filePath`, not
/// bundle resources). When a golden is missing, or when `RECORD_GOLDENS=1` is set, the output is
/// written to the golden and the test fails, so a new or changed golden never passes silently: review
/// the file, then run the test again without the variable.
public enum Golden {
    /// The environment variable that re-records goldens.
    public static let recordVariable = "RECORD_GOLDENS"

    /// The `Fixtures` folder next to the test file `filePath`.
    public static func fixturesDirectory(filePath: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(filePath)").deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    /// The URL of the fixture `name` (a path relative to `Fixtures`) next to the test file `filePath`.
    public static func url(_ name: String, filePath: StaticString = #filePath) -> URL {
        Self.fixturesDirectory(filePath: filePath).appendingPathComponent(name)
    }

    /// Whether this test run records goldens instead of checking them.
    public static var isRecording: Bool {
        ProcessInfo.processInfo.environment[Self.recordVariable].map { !$0.isEmpty && $0 != "0" } ?? false
    }

    /// Expects `actual` to equal the golden `name`; records it (and fails) when missing or re-recording.
    ///
    /// - Parameters:
    ///   - name: the golden's path relative to the `Fixtures` folder next to the test file.
    ///   - filePath: the test file; its folder holds `Fixtures`.
    public static func assertMatches(
        _ actual: String,
        golden name: String,
        filePath: StaticString = #filePath,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try Self.assertMatches(actual, at: Self.url(name, filePath: filePath), sourceLocation: sourceLocation)
    }

    /// Expects `actual` to equal the golden file at `url`; records it (and fails) when missing or re-recording.
    public static func assertMatches(
        _ actual: String,
        at url: URL,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let name = url.lastPathComponent
        guard !Self.isRecording, FileManager.default.fileExists(atPath: url.path) else {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try actual.write(to: url, atomically: true, encoding: .utf8)
            Issue.record(
                "Recorded golden \(name); check it, then re-run without \(Self.recordVariable)",
                sourceLocation: sourceLocation
            )
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "golden \(name) differs", sourceLocation: sourceLocation)
    }
}
