import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

@Suite(.runsProcesses)
struct ResourceLocatorTests {
    /// A temporary folder removed when the test ends, with helpers to lay out resource folders in it.
    final class Scratch {
        let url: URL

        init() throws {
            self.url =
                TemporaryDirectory.root
                .appendingPathComponent("tollgate-locator-\(UUID().uuidString)").standardizedFileURL
            try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(at: self.url)
        }

        /// Creates `relative` holding `config/defaults.json` and `Templates/`, and returns its URL.
        @discardableResult
        func resourceFolder(_ relative: String, defaults: Bool = true, templates: Bool = true) throws -> URL {
            let folder = self.url.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("config"),
                withIntermediateDirectories: true
            )
            if defaults {
                try Data("{}".utf8).write(to: folder.appendingPathComponent("config/defaults.json"))
            }
            if templates {
                try FileManager.default.createDirectory(
                    at: folder.appendingPathComponent("Templates"),
                    withIntermediateDirectories: true
                )
            }
            return folder.standardizedFileURL
        }

        /// Creates an empty file (and its folders) and returns its URL.
        func file(_ relative: String) throws -> URL {
            let file = self.url.appendingPathComponent(relative)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data().write(to: file)
            return file
        }
    }

    /// Lays out all four places, each a valid resource folder, and returns a locator over them.
    private func fourPlaces(_ scratch: Scratch, valid: Set<String>) throws -> ResourceLocator {
        for name in ["home", "env", "prefix/share/tollgate", "src"] where valid.contains(name) {
            try scratch.resourceFolder(name)
        }
        let executable = try scratch.file("prefix/bin/tollgate")
        let sourceFile = try scratch.file("src/Sources/TollgateEngine/Resources/ResourceLocator.swift")
        _ = try scratch.file("src/Package.swift")
        return ResourceLocator(
            home: valid.contains("home") ? scratch.url.appendingPathComponent("home").path : nil,
            environment: valid.contains("env")
                ? ["TOLLGATE_HOME": scratch.url.appendingPathComponent("env").path] : [:],
            executableURL: executable,
            sourceFile: sourceFile.path
        )
    }

    /// Each row: which places are given and valid, and which one must win.
    @Test(arguments: [
        (["home", "env", "prefix/share/tollgate", "src"], "home"),
        (["env", "prefix/share/tollgate", "src"], "env"),
        (["prefix/share/tollgate", "src"], "prefix/share/tollgate"),
        (["src"], "src"),
    ])
    func firstValidPlaceWins(valid: [String], winner: String) async throws {
        let scratch = try Scratch()
        let locator = try self.fourPlaces(scratch, valid: Set(valid))
        #expect(try locator.locate().path == scratch.url.appendingPathComponent(winner).standardizedFileURL.path)
    }

    @Test func candidatesAreListedInOrder() async throws {
        let scratch = try Scratch()
        let locator = try self.fourPlaces(scratch, valid: ["home", "env", "prefix/share/tollgate", "src"])
        #expect(
            locator.candidates().map(\.origin) == ["--home", "$TOLLGATE_HOME", "next to the executable", "source tree"]
        )
    }

    @Test func homeThatLacksTheFoldersIsAnErrorNotAFallBack() async throws {
        let scratch = try Scratch()
        try scratch.resourceFolder("src")
        try scratch.resourceFolder("home", templates: false)
        _ = try scratch.file("src/Package.swift")
        let locator = ResourceLocator(
            home: scratch.url.appendingPathComponent("home").path,
            environment: [:],
            executableURL: nil,
            sourceFile: try scratch.file("src/Sources/X/Y.swift").path
        )
        let home = scratch.url.appendingPathComponent("home").path
        #expect(throws: ResourceError.notFound(tried: ["--home: \(home) (no Templates/)"])) {
            try locator.locate()
        }
    }

    @Test func environmentThatLacksTheFoldersIsAnError() async throws {
        let scratch = try Scratch()
        try scratch.resourceFolder("src")
        _ = try scratch.file("src/Package.swift")
        let missing = scratch.url.appendingPathComponent("nowhere").path
        let locator = ResourceLocator(
            environment: ["TOLLGATE_HOME": missing],
            executableURL: nil,
            sourceFile: try scratch.file("src/Sources/X/Y.swift").path
        )
        #expect(throws: ResourceError.notFound(tried: ["$TOLLGATE_HOME: \(missing) (no such folder)"])) {
            try locator.locate()
        }
    }

    @Test func errorNamesEveryPlaceTried() async throws {
        let scratch = try Scratch()
        try scratch.resourceFolder("src", defaults: false, templates: false)
        _ = try scratch.file("src/Package.swift")
        let locator = ResourceLocator(
            environment: [:],
            executableURL: try scratch.file("prefix/bin/tollgate"),
            sourceFile: try scratch.file("src/Sources/X/Y.swift").path
        )
        do {
            _ = try locator.locate()
            Issue.record("expected an error")
        } catch {
            let share = scratch.url.appendingPathComponent("prefix/share/tollgate").path
            let source = scratch.url.appendingPathComponent("src").path
            #expect(
                error
                    == .notFound(tried: [
                        "next to the executable: \(share) (no such folder)",
                        "source tree: \(source) (no config/defaults.json and no Templates/)",
                    ])
            )
            #expect(error.description.contains("TOLLGATE_HOME"))
            #expect(error.description.contains(share))
        }
    }

    @Test func symlinkedExecutableIsFollowedToItsRealPrefix() async throws {
        let scratch = try Scratch()
        let real = try scratch.resourceFolder("opt/share/tollgate")
        let executable = try scratch.file("opt/bin/tollgate")
        try FileManager.default.createDirectory(
            at: scratch.url.appendingPathComponent("usr/bin"),
            withIntermediateDirectories: true
        )
        let link = scratch.url.appendingPathComponent("usr/bin/tollgate")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: executable)
        let locator = ResourceLocator(environment: [:], executableURL: link, sourceFile: "/nonexistent/file.swift")
        #expect(try locator.locate().path == real.path, "\(locator.candidates())")
    }

    @Test func relativeHomeIsResolvedAgainstTheWorkingDirectory() async throws {
        let scratch = try Scratch()
        try scratch.resourceFolder("home")
        let cwd = FileManager.default.currentDirectoryPath
        let relative =
            cwd.split(separator: "/").map { _ in ".." }.joined(separator: "/")
            + scratch.url.appendingPathComponent("home").path
        #expect(!relative.hasPrefix("/") || cwd == "/")
        let locator = ResourceLocator(home: relative, environment: [:], executableURL: nil, sourceFile: "/x.swift")
        #expect(try locator.locate().path == scratch.url.appendingPathComponent("home").path, "cwd \(cwd)")
    }

    @Test func defaultLocatorFindsThisSourceTree() async throws {
        let root = try ResourceLocator(environment: [:], executableURL: nil).locate()
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("Templates/workspace.md").path))
    }
}
