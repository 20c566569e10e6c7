import Foundation

/// Files of this repository that the tests read: `Templates/`, `config/`, `docs/`.
enum RepositoryFiles {
    /// The package root: the nearest folder above this file that holds `Package.swift`.
    static func root(filePath: StaticString = #filePath) -> URL {
        var folder = URL(fileURLWithPath: "\(filePath)").deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder = folder.deletingLastPathComponent()
        }
        return folder
    }

    /// The text of a file, by path relative to the package root.
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root().appendingPathComponent(relative), encoding: .utf8)
    }

    /// The text between a begin marker line and an end marker, or nil when a marker is missing.
    static func section(of text: String, between begin: String, and end: String) -> String? {
        guard let start = text.range(of: begin + "\n"),
            let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<stop.lowerBound])
    }
}
