import Foundation
import TollgateCore

/// Changing a job's settings: `tollgate config DIR --set`, and the `TOLLGATE_CRITIQUE_*` variables a command runs
/// with. Both go through the same schema, are stored with the job with their source, and are recorded as one
/// `config.changed` event.
extension JobSession {
    /// Keys that say where the job's reviews live; changing them would strand an open review.
    public static let keysFixedAtInit: Set<String> = [
        ConfigKeys.reviewHost.name, ConfigKeys.giteaUrl.name, ConfigKeys.giteaOwner.name, ConfigKeys.giteaRepo.name,
    ]

    /// Changes settings of the job (`tollgate config DIR --set KEY=VALUE`): the new values are stored with the job
    /// (source `config --set`) and recorded as one `config.changed` event; the next `run` or `resume` uses them.
    ///
    /// Returns one line per key that changed, `key: old -> new`.
    /// - Throws: `EngineError.usage` for a key fixed at init or a job that is over, `ConfigError` for an unknown
    ///   key or a bad value; nothing is changed then.
    public func configure(assignments: [String]) throws -> [String] {
        let job = try state
        guard job.status != .completed, job.status != .cancelled else {
            throw EngineError.refused("the job is \(job.status.rawValue); its settings can no longer change")
        }
        let layer = try ConfigLayer(assignments: assignments, source: ConfigLayer.configSetSource)
        if let fixed = layer.values.keys.sorted().first(where: Self.keysFixedAtInit.contains) {
            throw EngineError.usage(
                "\(fixed) is fixed when the job is created (reviews already live there); start a new job to change it"
            )
        }
        return try change(with: [layer])
    }

    /// Stores the settings the `TOLLGATE_CRITIQUE_*` variables of `environment` give, where they differ from the
    /// job's, with the variable as their source, and records them as one `config.changed` event (run and resume
    /// call this first, so the job's record says what its critiques ran with).
    ///
    /// A value stays after its variable is unset, as one set with `tollgate config --set` does; a job that is over
    /// is left as it is.
    /// - Returns: one line per key that changed, `key: old -> new (VARIABLE)`.
    /// - Throws: `ConfigError` for a variable that names no setting or a value its key does not allow.
    @discardableResult
    public func applyEnvironment(_ environment: [String: String]) throws -> [String] {
        let layers = try ConfigLayer.environment(environment)
        let job = try state
        guard !layers.isEmpty, job.status != .completed, job.status != .cancelled else { return [] }
        return try change(with: layers)
    }

    /// The job's settings with the `TOLLGATE_CRITIQUE_*` variables of `environment` over them: what `tollgate config
    /// DIR` shows and what the next run or resume uses, before anything is stored.
    public func effectiveConfig(environment: [String: String]) throws -> ResolvedConfig {
        let stored = try config
        return try stored.overriding(with: Self.changing(stored, ConfigLayer.environment(environment)))
    }

    /// `layers` without the values `config` already has: setting a key to its value again changes nothing, not
    /// even its source.
    private static func changing(_ config: ResolvedConfig, _ layers: [ConfigLayer]) -> [ConfigLayer] {
        layers.map { layer in
            var kept = layer
            kept.values = layer.values.filter { key, value in config[key]?.value != value }
            return kept
        }
    }

    /// Applies `layers` over the stored settings, and stores and records what changed (value or source).
    private func change(with layers: [ConfigLayer]) throws -> [String] {
        guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
        let updated = try document.config.overriding(with: Self.changing(document.config, layers))
        if let refusal = PrivacyMode.refusal(of: updated) { throw EngineError.usage(refusal) }
        var changes: [String: String] = [:]
        var sources: Set<String> = []
        var lines: [String] = []
        for key in Set(layers.flatMap(\.values.keys)).sorted() {
            guard let old = document.config[key], let new = updated[key], old.value != new.value else { continue }
            changes[key] = new.value.description
            sources.insert(new.source)
            let shownSource = new.source == ConfigLayer.configSetSource ? "" : " (\(new.source))"
            lines.append("\(key): \(old.value) -> \(new.value)\(shownSource)")
        }
        guard !changes.isEmpty else { return [] }
        changes["source"] = sources.sorted().joined(separator: ", ")
        var machine = JobMachine(state: document.job)
        let configured = machine.configured(
            changes,
            autonomy: updated[ConfigKeys.autonomy],
            maxPhases: updated[ConfigKeys.maxPhases]
        )
        var next = document
        next.job = machine.state
        next.config = updated
        try store.commit(next, events: configured.events, now: Date())
        return lines
    }
}
