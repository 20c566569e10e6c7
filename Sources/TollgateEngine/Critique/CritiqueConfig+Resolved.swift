import Foundation
import TollgateCore

extension CritiqueConfig {
    /// The critique settings of a job's resolved configuration (`critique.*` keys).
    public init(resolved config: ResolvedConfig) {
        self.init()
        enabled = config.bool("critique.enabled")
        command = config.string("critique.command")
        phaseTypes = config.strings("critique.phaseTypes")
        artifacts = config.strings("critique.artifacts")
        escalate = config.bool("critique.escalate")
        threshold = config.double("critique.threshold")
        maxRounds = config.int("critique.maxRounds")
        for role in [PanelistRole.critic, .brand, .a11y, .copy, .designer] {
            weights[role] = config.double("critique.weights.\(role.rawValue)")
        }
        roundTimeoutSeconds = config.int("critique.roundTimeoutSeconds")
        totalTimeoutSeconds = config.int("critique.totalTimeoutSeconds")
        parserMaxBlockBytes = config.int("critique.parserMaxBlockBytes")
        fallbackPolicy = FallbackPolicy(rawValue: config.string("critique.fallbackPolicy")) ?? .shipBest
        maxIterations = min(config.int("critique.revision.maxIterations"), Self.hardMaxIterations)
        loopTimeoutSeconds = config.int("critique.revision.loopTimeoutSeconds")
        loopFloorSeconds = config.int("critique.revision.floorSeconds")
        maxOutputTokens = config.int("critique.revision.maxOutputTokens")
    }

    /// Whether phases of `type` are critiqued.
    public func applies(to type: PhaseType) -> Bool {
        enabled && !command.isEmpty && phaseTypes.contains(type.rawValue)
    }
}

extension CritiqueConfig {
    /// The settings with the `TOLLGATE_CRITIQUE_*` overrides of this process applied.
    /// - Throws: `EngineError.usage` naming the variable and what it accepts, when an override is misspelt or
    ///   out of range: a job does not run with settings other than the ones its user asked for.
    func applyingProcessEnvironment() throws -> CritiqueConfig {
        do {
            return try applyingEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw EngineError.usage("\(error); fix or unset the variable, then run the command again")
        }
    }
}
