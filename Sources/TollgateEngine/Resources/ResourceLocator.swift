import Foundation

/// Finds the folder that holds Tollgate's `config/` and `Templates/`.
///
/// Places are tried in this order: the `--home` path, `$TOLLGATE_HOME`, `<executable dir>/../share/tollgate`,
/// then the source tree this file was compiled from. A place counts when it holds `config/defaults.json`
/// and a `Templates/` folder. A place the user named (`--home`, `$TOLLGATE_HOME`) that does not hold them is
/// an error at once rather than a silent fall back to another copy.
public struct ResourceLocator: Sendable {
    /// The name of the environment variable that names the folder.
    public static let environmentVariable = "TOLLGATE_HOME"

    /// One place to look, and how it was chosen.
    public struct Candidate: Sendable, Equatable {
        /// How the place was chosen: `--home`, `$TOLLGATE_HOME`, `next to the executable`, `source tree`.
        public var origin: String
        public var url: URL
        /// Whether the user named this place, so that it must be right.
        public var isExplicit: Bool
    }

    public var home: String?
    public var environment: [String: String]
    public var executableURL: URL?
    public var sourceFile: String

    /// Creates a locator; the defaults read this process's environment, executable and source tree.
    ///
    /// - Parameters:
    ///   - home: the `--home` argument, if given.
    ///   - environment: where `TOLLGATE_HOME` is read.
    ///   - executableURL: the running executable; `share/tollgate` is looked for next to its folder.
    ///   - sourceFile: a file inside the source tree, from which the package root is found.
    public init(
        home: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executableURL: URL? = Bundle.main.executableURL,
        sourceFile: String = #filePath
    ) {
        self.home = home
        self.environment = environment
        self.executableURL = executableURL
        self.sourceFile = sourceFile
    }

    /// The places to try, in order.
    public func candidates() -> [Candidate] {
        var result: [Candidate] = []
        if let home = self.home, !home.isEmpty {
            result.append(Candidate(origin: "--home", url: Self.absolute(home), isExplicit: true))
        }
        if let home = self.environment[Self.environmentVariable], !home.isEmpty {
            result.append(
                Candidate(origin: "$" + Self.environmentVariable, url: Self.absolute(home), isExplicit: true)
            )
        }
        if let executable = self.executableURL {
            var folders = [executable.deletingLastPathComponent()]
            let resolved = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            if resolved.standardizedFileURL != folders[0].standardizedFileURL { folders.append(resolved) }
            for folder in folders {
                let share = folder.deletingLastPathComponent().appendingPathComponent("share/tollgate")
                result.append(
                    Candidate(origin: "next to the executable", url: share.standardizedFileURL, isExplicit: false)
                )
            }
        }
        if let root = Self.packageRoot(containing: URL(fileURLWithPath: self.sourceFile)) {
            result.append(Candidate(origin: "source tree", url: root, isExplicit: false))
        }
        return result
    }

    /// The first place that holds `config/defaults.json` and `Templates/`.
    ///
    /// - Throws: `ResourceError.notFound` naming every place tried and what was missing there.
    public func locate() throws(ResourceError) -> URL {
        var tried: [String] = []
        for candidate in self.candidates() {
            if let missing = Self.missingPart(in: candidate.url) {
                tried.append("\(candidate.origin): \(candidate.url.path) (\(missing))")
                if candidate.isExplicit { throw .notFound(tried: tried) }
                continue
            }
            return candidate.url
        }
        if self.executableURL == nil { tried.append("next to the executable: the executable's path is unknown") }
        throw .notFound(tried: tried)
    }

    /// What a resource folder lacks, or nil when it holds `config/defaults.json` and `Templates/`.
    static func missingPart(in folder: URL) -> String? {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "no such folder"
        }
        var missing: [String] = []
        if !fileManager.fileExists(atPath: folder.appendingPathComponent("config/defaults.json").path) {
            missing.append("config/defaults.json")
        }
        isDirectory = false
        if !fileManager.fileExists(atPath: folder.appendingPathComponent("Templates").path, isDirectory: &isDirectory)
            || !isDirectory.boolValue
        {
            missing.append("Templates/")
        }
        return missing.isEmpty ? nil : "no " + missing.joined(separator: " and no ")
    }

    /// The nearest folder above `file` that holds `Package.swift`.
    static func packageRoot(containing file: URL) -> URL? {
        var folder = file.deletingLastPathComponent().standardizedFileURL
        while folder.path != "/" && !folder.path.isEmpty {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    private static func absolute(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        let full = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
        return URL(fileURLWithPath: full).standardizedFileURL
    }
}
