import Foundation

/// Every setting of critique and of the revision loop, with its default.
///
/// The defaults are those of protocol v1: ship from a composite of 8.0 on a scale of 10 with no open
/// must-fix item, at most 3 rounds, weights critic 0.4 and brand, a11y and copy 0.2 each, the designer 0.
/// Decoding fills every absent key with its default and rejects unknown keys; environment variables
/// named `TOLLGATE_CRITIQUE_*` override values through ``applyingEnvironment(_:)``.
public struct CritiqueConfig: Sendable, Equatable, Codable {
    /// What to do when no round meets the ship rule.
    public enum FallbackPolicy: String, Sendable, Codable, CaseIterable {
        /// Keep the round with the highest composite (the earliest on a tie).
        case shipBest = "ship_best"
        /// Keep the last completed round.
        case shipLast = "ship_last"
        /// Keep nothing.
        case fail
    }

    /// The most iterations a revision loop runs, whatever is configured.
    public static let hardMaxIterations = 3

    /// Whether the engine critiques artifacts at all.
    public var enabled = false
    /// The critic, run by `/bin/sh -c`; its stdout speaks the critique protocol.
    public var command = ""
    /// The phase types whose artifacts are critiqued (`strategic`, `tactical`).
    public var phaseTypes = ["strategic"]
    /// The workspace files the critic reviews.
    public var artifacts = ["plan.md"]
    /// Whether a critique that does not ship freezes the phase for review even under full autonomy.
    public var escalate = true
    /// The composite from which a round may ship.
    public var threshold = 8.0
    /// The top of the score range (the bottom is 0).
    public var scale = 10.0
    /// The most rounds of one critique run.
    public var maxRounds = 3
    /// The panel's roles, in the order reports list them.
    public var panel: [PanelistRole] = PanelistRole.standardPanel
    /// Each role's weight in the composite; a role without a weight weighs 0.
    public var weights: [PanelistRole: Double] = [.designer: 0, .critic: 0.4, .brand: 0.2, .a11y: 0.2, .copy: 0.2]
    /// Seconds one round may take.
    public var roundTimeoutSeconds = 90
    /// Seconds a whole critique run may take.
    public var totalTimeoutSeconds = 240
    /// The most bytes the parser holds for one block or tag.
    public var parserMaxBlockBytes = CritiqueParser.defaultMaxBlockBytes
    /// What to keep when no round ships.
    public var fallbackPolicy = FallbackPolicy.shipBest
    /// The protocol version critics are asked to speak.
    public var protocolVersion = CritiqueProtocol.current.rawValue
    /// The most revise-then-critique iterations; never more than ``hardMaxIterations``.
    public var maxIterations = 3
    /// Seconds the whole revision loop may take.
    public var loopTimeoutSeconds = 600
    /// Seconds that must remain for the loop to start another iteration.
    public var loopFloorSeconds = 20
    /// Output tokens the revision loop may spend in total.
    public var maxOutputTokens = 20_000
    /// Above this similarity to its starting point, a revision counts as no change and stops the loop.
    public var similarityStop = 0.95

    /// The default configuration.
    public init() {}

    /// The default configuration.
    public static let `default` = CritiqueConfig()

    /// The iterations the loop really runs: ``maxIterations`` capped at ``hardMaxIterations``.
    public var effectiveMaxIterations: Int { min(max(self.maxIterations, 0), Self.hardMaxIterations) }

    /// The weight of `role` (0 when the configuration gives none).
    public func weight(of role: PanelistRole) -> Double { self.weights[role] ?? 0 }

    // MARK: - Validation

    /// Checks every value and the relations between them.
    ///
    /// - Throws: ``CritiqueConfigError`` naming the first bad key, its value and what is allowed.
    public func validated() throws(CritiqueConfigError) -> CritiqueConfig {
        func check(_ ok: Bool, _ key: String, _ value: Any, _ allowed: String) throws(CritiqueConfigError) {
            if !ok { throw CritiqueConfigError(source: "critique.\(key)", value: "\(value)", allowed: allowed) }
        }
        try check(self.scale > 0 && self.scale.isFinite, "scale", self.scale, "a number above 0")
        try check(
            (0...self.scale).contains(self.threshold),
            "threshold",
            self.threshold,
            "a number from 0 to \(self.scale)"
        )
        try check(self.maxRounds >= 1, "maxRounds", self.maxRounds, "a whole number of at least 1")
        try check(!self.panel.isEmpty, "panel", self.panel, "at least one role")
        try check(Set(self.panel).count == self.panel.count, "panel", self.panel, "roles without repeats")
        for (role, weight) in self.weights.sorted(by: { $0.key < $1.key }) {
            try check(weight >= 0 && weight.isFinite, "weights.\(role)", weight, "a number of at least 0")
        }
        try check(self.roundTimeoutSeconds >= 1, "roundTimeoutSeconds", self.roundTimeoutSeconds, "at least 1")
        try check(self.totalTimeoutSeconds >= 1, "totalTimeoutSeconds", self.totalTimeoutSeconds, "at least 1")
        try check(
            self.parserMaxBlockBytes >= 1024,
            "parserMaxBlockBytes",
            self.parserMaxBlockBytes,
            "at least 1024 bytes"
        )
        try check(
            CritiqueProtocol(rawValue: self.protocolVersion) != nil,
            "protocolVersion",
            self.protocolVersion,
            CritiqueProtocol.allCases.map { String($0.rawValue) }.joined(separator: ", ")
        )
        for type in self.phaseTypes {
            try check(["strategic", "tactical"].contains(type), "phaseTypes", type, "strategic or tactical")
        }
        try check(self.maxIterations >= 0, "maxIterations", self.maxIterations, "a whole number of at least 0")
        try check(self.loopTimeoutSeconds >= 1, "loopTimeoutSeconds", self.loopTimeoutSeconds, "at least 1")
        try check(self.loopFloorSeconds >= 0, "loopFloorSeconds", self.loopFloorSeconds, "at least 0")
        try check(self.maxOutputTokens >= 1, "maxOutputTokens", self.maxOutputTokens, "at least 1")
        try check(
            (0...1).contains(self.similarityStop),
            "similarityStop",
            self.similarityStop,
            "a number from 0 to 1"
        )
        return self
    }

    // MARK: - Environment

    /// The prefix of every environment variable that overrides a critique setting.
    public static let environmentPrefix = "TOLLGATE_CRITIQUE_"

    /// The variables ``applyingEnvironment(_:)`` reads, without the prefix; `WEIGHT_<ROLE>` sets one weight.
    public static let environmentNames = [
        "ENABLED", "COMMAND", "PHASE_TYPES", "ARTIFACTS", "ESCALATE", "THRESHOLD", "SCALE", "MAX_ROUNDS", "PANEL",
        "WEIGHT_<ROLE>", "ROUND_TIMEOUT_SECONDS", "TOTAL_TIMEOUT_SECONDS", "PARSER_MAX_BLOCK_BYTES",
        "FALLBACK_POLICY", "PROTOCOL_VERSION", "MAX_ITERATIONS", "LOOP_TIMEOUT_SECONDS", "LOOP_FLOOR_SECONDS",
        "MAX_OUTPUT_TOKENS", "SIMILARITY_STOP",
    ]

    /// Variables under the prefix that are inputs of a critic, not settings (named without the prefix).
    ///
    /// `ARTIFACT` holds the artifact's path; the engine sets it for the critic process.
    /// ``applyingEnvironment(_:)`` skips them, so a critic (or `tollgate critique`) started with them can
    /// read its settings from its own environment.
    public static let environmentInputNames = ["ARTIFACT"]

    /// Returns a copy with every `TOLLGATE_CRITIQUE_*` variable of `environment` applied.
    ///
    /// The variables of ``environmentInputNames`` are not settings and are skipped. Lists (`PHASE_TYPES`,
    /// `ARTIFACTS`, `PANEL`) are comma-separated; booleans are `true`/`false`, `1`/`0` or `yes`/`no`;
    /// `WEIGHT_CRITIC=0.5` sets the critic's weight. Variables are applied in name order and the result is
    /// validated.
    ///
    /// - Throws: ``CritiqueConfigError`` naming the variable and what it allows, for a bad value, or for
    ///   an unknown variable with the known one it most likely misspells.
    public func applyingEnvironment(_ environment: [String: String]) throws(CritiqueConfigError) -> CritiqueConfig {
        var config = self
        let names = environment.keys.filter { variable in
            variable.hasPrefix(Self.environmentPrefix)
                && !Self.environmentInputNames.contains(String(variable.dropFirst(Self.environmentPrefix.count)))
        }.sorted()
        for variable in names {
            guard let raw = environment[variable] else { continue }
            try config.apply(String(variable.dropFirst(Self.environmentPrefix.count)), raw, variable: variable)
        }
        do {
            return try config.validated()
        } catch {
            throw CritiqueConfigError(
                source: "\(error.source) (after \(names.joined(separator: ", ")))",
                value: error.value,
                allowed: error.allowed
            )
        }
    }

    private mutating func apply(_ name: String, _ raw: String, variable: String) throws(CritiqueConfigError) {
        let value = raw.trimmingCharacters(in: .whitespaces)
        func bad(_ allowed: String) -> CritiqueConfigError {
            CritiqueConfigError(source: variable, value: raw, allowed: allowed)
        }
        func int(_ range: ClosedRange<Int>, _ allowed: String) throws(CritiqueConfigError) -> Int {
            guard let number = Int(value), range.contains(number) else { throw bad(allowed) }
            return number
        }
        func double(_ range: ClosedRange<Double>, _ allowed: String) throws(CritiqueConfigError) -> Double {
            guard let number = Double(value), number.isFinite, range.contains(number) else { throw bad(allowed) }
            return number
        }
        func bool() throws(CritiqueConfigError) -> Bool {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw bad("true or false (also 1/0, yes/no)")
            }
        }
        func list() -> [String] {
            value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        switch name {
        case "ENABLED": self.enabled = try bool()
        case "COMMAND": self.command = raw
        case "PHASE_TYPES":
            let types = list()
            guard !types.isEmpty, types.allSatisfy({ ["strategic", "tactical"].contains($0) }) else {
                throw bad("a comma-separated list of strategic, tactical")
            }
            self.phaseTypes = types
        case "ARTIFACTS":
            let files = list()
            guard !files.isEmpty else { throw bad("a comma-separated list of workspace file paths") }
            self.artifacts = files
        case "ESCALATE": self.escalate = try bool()
        case "THRESHOLD": self.threshold = try double(0...Double.greatestFiniteMagnitude, "a number of at least 0")
        case "SCALE":
            self.scale = try double(Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude, "a number above 0")
        case "MAX_ROUNDS": self.maxRounds = try int(1...Int.max, "a whole number of at least 1")
        case "PANEL":
            let roles = list().map(PanelistRole.init(rawValue:))
            guard !roles.isEmpty, Set(roles).count == roles.count else {
                throw bad("a comma-separated list of distinct roles, such as designer,critic,brand,a11y,copy")
            }
            self.panel = roles
        case "ROUND_TIMEOUT_SECONDS":
            self.roundTimeoutSeconds = try int(1...Int.max, "a whole number of seconds, at least 1")
        case "TOTAL_TIMEOUT_SECONDS":
            self.totalTimeoutSeconds = try int(1...Int.max, "a whole number of seconds, at least 1")
        case "PARSER_MAX_BLOCK_BYTES":
            self.parserMaxBlockBytes = try int(1024...Int.max, "a whole number of bytes, at least 1024")
        case "FALLBACK_POLICY":
            guard let policy = FallbackPolicy(rawValue: value) else {
                throw bad(FallbackPolicy.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.fallbackPolicy = policy
        case "PROTOCOL_VERSION":
            guard let version = CritiqueProtocol(attribute: value) else {
                throw bad(CritiqueProtocol.allCases.map { String($0.rawValue) }.joined(separator: ", "))
            }
            self.protocolVersion = version.rawValue
        case "MAX_ITERATIONS":
            self.maxIterations = try int(0...Int.max, "a whole number of at least 0 (at most 3 are ever run)")
        case "LOOP_TIMEOUT_SECONDS":
            self.loopTimeoutSeconds = try int(1...Int.max, "a whole number of seconds, at least 1")
        case "LOOP_FLOOR_SECONDS": self.loopFloorSeconds = try int(0...Int.max, "a whole number of seconds, at least 0")
        case "MAX_OUTPUT_TOKENS": self.maxOutputTokens = try int(1...Int.max, "a whole number of tokens, at least 1")
        case "SIMILARITY_STOP": self.similarityStop = try double(0...1, "a number from 0 to 1")
        default:
            if name.hasPrefix("WEIGHT_"), name.count > "WEIGHT_".count {
                let role = PanelistRole(rawValue: String(name.dropFirst("WEIGHT_".count)).lowercased())
                self.weights[role] = try double(0...Double.greatestFiniteMagnitude, "a number of at least 0")
                return
            }
            throw CritiqueConfigError(
                source: variable,
                value: nil,
                allowed: Self.environmentNames.map { Self.environmentPrefix + $0 }.joined(separator: ", "),
                suggestion: self.closestEnvironmentName(to: name).map { Self.environmentPrefix + $0 }
            )
        }
    }

    /// The override or input name nearest to the unknown `name` (both without the prefix), if it is
    /// within a few typing mistakes; `WEIGHT_<ROLE>` stands for one name per role of the panel.
    private func closestEnvironmentName(to name: String) -> String? {
        let weights = Set(self.panel + PanelistRole.standardPanel).sorted().map { "WEIGHT_" + $0.rawValue.uppercased() }
        let candidates = Self.environmentNames.filter { $0 != "WEIGHT_<ROLE>" } + weights + Self.environmentInputNames
        let allowed = max(1, min(3, name.count / 4))
        let scored = candidates.map { (name: $0, distance: Self.editDistance(Array(name.utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= allowed else { return nil }
        return best.name
    }

    /// The Levenshtein distance between two byte strings: the fewest insertions, deletions and substitutions.
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, byteA) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, byteB) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (byteA == byteB ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, command, phaseTypes, artifacts, escalate, threshold, scale, maxRounds, panel, weights
        case roundTimeoutSeconds, totalTimeoutSeconds, parserMaxBlockBytes, fallbackPolicy, protocolVersion
        case maxIterations, loopTimeoutSeconds, loopFloorSeconds, maxOutputTokens, similarityStop
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes a configuration; absent keys keep their defaults and unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in all.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: all,
                debugDescription: "unknown critique key '\(key.stringValue)'; known keys: "
                    + CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var config = CritiqueConfig()
        func read<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let decoded = try container.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        try read(.enabled, into: &config.enabled)
        try read(.command, into: &config.command)
        try read(.phaseTypes, into: &config.phaseTypes)
        try read(.artifacts, into: &config.artifacts)
        try read(.escalate, into: &config.escalate)
        try read(.threshold, into: &config.threshold)
        try read(.scale, into: &config.scale)
        try read(.maxRounds, into: &config.maxRounds)
        try read(.panel, into: &config.panel)
        try read(.weights, into: &config.weights)
        try read(.roundTimeoutSeconds, into: &config.roundTimeoutSeconds)
        try read(.totalTimeoutSeconds, into: &config.totalTimeoutSeconds)
        try read(.parserMaxBlockBytes, into: &config.parserMaxBlockBytes)
        try read(.fallbackPolicy, into: &config.fallbackPolicy)
        try read(.protocolVersion, into: &config.protocolVersion)
        try read(.maxIterations, into: &config.maxIterations)
        try read(.loopTimeoutSeconds, into: &config.loopTimeoutSeconds)
        try read(.loopFloorSeconds, into: &config.loopFloorSeconds)
        try read(.maxOutputTokens, into: &config.maxOutputTokens)
        try read(.similarityStop, into: &config.similarityStop)
        self = config
    }
}
