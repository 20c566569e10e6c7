/// Environment variables as configuration layers: `TOLLGATE_CRITIQUE_THRESHOLD=7.5` sets `critique.threshold`.
///
/// Every `critique.*` key has a variable, its name in upper snake case after `TOLLGATE_`
/// (`critique.revision.maxIterations` is `TOLLGATE_CRITIQUE_REVISION_MAX_ITERATIONS`). Values are written as
/// with `--set`. Each variable is a layer of its own whose source is the variable's name, so `tollgate config`
/// and the job's record say which variable set a value. A variable under the prefix that names no key is an
/// error, with the variable it most likely misspells.
extension ConfigLayer {
    /// The prefix of every variable that overrides a setting.
    public static let environmentPrefix = "TOLLGATE_CRITIQUE_"

    /// Variables under the prefix that are facts the critique runner gives a critic, not settings: the
    /// artifact's path and protocol v1's fixed scale, panel and version.
    ///
    /// Reading settings skips them.
    public static let environmentInputs = [
        "TOLLGATE_CRITIQUE_ARTIFACT", "TOLLGATE_CRITIQUE_SCALE", "TOLLGATE_CRITIQUE_PANEL",
        "TOLLGATE_CRITIQUE_PROTOCOL_VERSION",
    ]

    /// The variable that overrides `key`, or nil for a key that has none (only `critique.*` keys have one).
    public static func environmentVariable(for key: ConfigKey) -> String? {
        guard key.name.hasPrefix("critique.") else { return nil }
        var name = "TOLLGATE_"
        var previous: Character = "."
        for character in key.name {
            if character == "." {
                name.append("_")
            } else if character.isUppercase && (previous.isLowercase || previous.isNumber) {
                name += "_" + character.uppercased()
            } else {
                name += character.uppercased()
            }
            previous = character
        }
        return name
    }

    /// One layer per overriding variable of `environment`, in the variables' name order.
    ///
    /// - Throws: `ConfigError.unknownVariable` for a variable under the prefix that is neither a setting nor an
    ///   input, `ConfigError.invalidValue` (source: the variable) for a value its key does not allow.
    public static func environment(_ environment: [String: String], schema: ConfigSchema = .standard)
        throws(ConfigError) -> [ConfigLayer]
    {
        let byVariable = Dictionary(
            schema.keys.compactMap { key in Self.environmentVariable(for: key).map { ($0, key) } },
            uniquingKeysWith: { first, _ in first }
        )
        var layers: [ConfigLayer] = []
        for (variable, text) in environment.sorted(by: { $0.key < $1.key })
        where variable.hasPrefix(Self.environmentPrefix) && !Self.environmentInputs.contains(variable) {
            guard let key = byVariable[variable] else {
                // Matched after the prefix, so a misspelling is weighed against the part that can differ.
                let known = (byVariable.keys.sorted() + Self.environmentInputs).map {
                    String($0.dropFirst(Self.environmentPrefix.count))
                }
                let suggestion = EditDistance.closest(
                    to: String(variable.dropFirst(Self.environmentPrefix.count)),
                    among: known
                )
                throw .unknownVariable(name: variable, suggestion: suggestion.map { Self.environmentPrefix + $0 })
            }
            layers.append(ConfigLayer(source: variable, values: [key.name: try key.parse(text, source: variable)]))
        }
        return layers
    }

    /// Whether `source` is a variable's name: a value the environment set.
    public static func isEnvironment(_ source: String) -> Bool {
        source.hasPrefix(Self.environmentPrefix)
    }
}
