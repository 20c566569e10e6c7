import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

@Suite(.runsProcesses)
struct ResourceBundleTests {
    private func realBundle() throws -> ResourceBundle {
        try ResourceBundle.locate(ResourceLocator(environment: [:], executableURL: nil))
    }

    /// A copy of the real resource folder in a temporary place, for tests that break a file.
    final class Copy {
        let url: URL

        init(of bundle: ResourceBundle) throws {
            self.url = TemporaryDirectory.root
                .appendingPathComponent("tollgate-bundle-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
            for folder in ["config", "Templates"] {
                // Copy what a link points to, never the link: the tests write into the copy.
                try FileManager.default.copyItem(
                    at: bundle.root.appendingPathComponent(folder).resolvingSymlinksInPath(),
                    to: self.url.appendingPathComponent(folder)
                )
            }
        }

        deinit {
            try? FileManager.default.removeItem(at: self.url)
        }

        func write(_ relative: String, _ text: String) throws {
            try Data(text.utf8).write(to: self.url.appendingPathComponent(relative))
        }
    }

    @Test func realConfigFilesValidate() async throws {
        let bundle = try self.realBundle()
        let defaults = try bundle.defaultsLayer()
        #expect(defaults.source == "config/defaults.json")
        #expect(defaults.values["autonomy"] == .string("partial"))
        #expect(defaults.description?.isEmpty == false)
        // The file shows the user every key it sets, and it sets each to the schema's default.
        for (key, value) in defaults.values {
            #expect(ConfigSchema.standard.key(named: key)?.defaultValue == value, "\(key)")
        }
        for expert in try bundle.expertNames() {
            let layer = try bundle.expertLayer(named: expert)
            #expect(layer.source == "config/experts/\(expert).json")
            #expect(layer.description?.isEmpty == false, "\(expert) has no description")
        }
    }

    /// The autonomy level of each expert, from the design.
    @Test(arguments: [
        ("debugger", "full"), ("researcher", "partial"), ("writer", "partial"), ("coder", "partial"),
        ("validator", "review"),
    ])
    func expertResolvesToItsAutonomy(expert: String, autonomy: String) async throws {
        let config = try self.realBundle().resolveConfig(options: JobOptions(expert: expert), environment: [:])
        #expect(config[ConfigKeys.autonomy].rawValue == autonomy)
        #expect(config["autonomy"]?.source == "config/experts/\(expert).json")
        #expect(config["agent.command"]?.source == "config/defaults.json")
        #expect(config["critique.revision.floorSeconds"]?.source == "defaults")
    }

    @Test func expertsAreListedWithDescriptions() async throws {
        let experts = try self.realBundle().experts()
        #expect(experts.map(\.name) == ["coder", "debugger", "researcher", "validator", "writer"])
        #expect(experts.allSatisfy { !$0.description.isEmpty })
    }

    @Test func overridesWinInOrder() async throws {
        let config = try self.realBundle().resolveConfig(
            options: JobOptions(
                expert: "debugger",
                autonomy: "dependent",
                agent: "./agent.sh",
                assignments: ["autonomy=guided", "maxPhases=4", "critique.threshold=6"]
            ),
            environment: ["TOLLGATE_CRITIQUE_THRESHOLD": "7.5", "TOLLGATE_HOME": "/elsewhere"]
        )
        #expect(config["autonomy"] == ResolvedConfig.Entry(value: .string("dependent"), source: "--autonomy"))
        #expect(config["maxPhases"] == ResolvedConfig.Entry(value: .int(4), source: "--set"))
        #expect(config["agent.command"] == ResolvedConfig.Entry(value: .string("./agent.sh"), source: "--agent"))
        #expect(
            config["critique.threshold"]
                == ResolvedConfig.Entry(value: .double(7.5), source: "TOLLGATE_CRITIQUE_THRESHOLD")
        )
    }

    @Test func unknownExpertListsTheAvailableOnes() async throws {
        let error = ConfigError.unknownExpert(
            name: "painter",
            available: ["coder", "debugger", "researcher", "validator", "writer"]
        )
        #expect(throws: error) {
            try self.realBundle().resolveConfig(options: JobOptions(expert: "painter"), environment: [:])
        }
        #expect(
            error.description
                == #"unknown expert "painter"; available experts: coder, debugger, researcher, validator, writer"#
        )
        #expect(throws: ConfigError.self) {
            try self.realBundle().expertLayer(named: "../defaults")
        }
    }

    @Test func realTemplatesLoad() async throws {
        let catalog = try self.realBundle().templateCatalog()
        #expect(try catalog.template(.workspace).placeholders.contains("jobId"))
    }

    @Test func brokenExpertFileIsNamedRelativeToTheFolder() async throws {
        let copy = try Copy(of: try self.realBundle())
        try copy.write("config/experts/coder.json", #"{"autonomy": "partial", "agent": {"timeout": 5}}"#)
        let bundle = ResourceBundle(root: copy.url)
        #expect(
            throws: ConfigError.unknownKey(
                source: "config/experts/coder.json",
                key: "agent.timeout",
                suggestion: "agent.timeoutSeconds"
            )
        ) {
            try bundle.resolveConfig(options: JobOptions(expert: "coder"), environment: [:])
        }
        try copy.write("config/defaults.json", "{ not json")
        #expect(throws: ConfigError.self) {
            try bundle.defaultsLayer()
        }
    }

    @Test func templateWithAnUnknownPlaceholderIsRejectedOnLoad() async throws {
        let copy = try Copy(of: try self.realBundle())
        try copy.write("Templates/pr-body.md", "## {{title}}\n")
        #expect(throws: TemplateError.self) {
            try ResourceBundle(root: copy.url).templateCatalog()
        }
        try FileManager.default.removeItem(at: copy.url.appendingPathComponent("Templates/pr-body.md"))
        do {
            _ = try ResourceBundle(root: copy.url).templateCatalog()
            Issue.record("expected an error")
        } catch let error as ResourceError {
            #expect(error == .unreadable(path: "Templates/pr-body.md", reason: "no such file"))
        }
    }
}
