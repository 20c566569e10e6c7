/// The configuration of one job: every key's value and the layer it came from.
///
/// Resolution starts from the schema defaults (source `defaults`) and applies the layers in order, later
/// layers winning. The engine's order is `config/defaults.json`, `config/experts/<expert>.json`, then the
/// job's overrides (`--set`, then `--autonomy` and `--agent`). It persists in `job.json` as
/// `{"key": {"source": …, "value": …}}`.
public struct ResolvedConfig: Sendable, Equatable, Codable {
    /// One resolved value and the source label of the layer that set it.
    public struct Entry: Sendable, Equatable, Codable {
        public var value: ConfigValue
        public var source: String

        public init(value: ConfigValue, source: String) {
            self.value = value
            self.source = source
        }
    }

    /// Every value by dotted key; holds every key of the schema it was resolved with.
    public private(set) var entries: [String: Entry]

    /// Resolves layers over the schema's defaults; a later layer wins over an earlier one.
    ///
    /// - Throws: `ConfigError` naming the layer's source when a layer has an unknown key or a bad value.
    public init(layers: [ConfigLayer], schema: ConfigSchema = .standard) throws(ConfigError) {
        var entries: [String: Entry] = [:]
        for key in schema.keys {
            entries[key.name] = Entry(value: key.defaultValue, source: ConfigLayer.defaultsSource)
        }
        for layer in layers {
            for (name, value) in layer.values.sorted(by: { $0.key < $1.key }) {
                guard let key = schema.key(named: name) else {
                    throw .unknownKey(source: layer.source, key: name, suggestion: schema.suggestion(for: name))
                }
                entries[name] = Entry(value: try key.validate(value, source: layer.source), source: layer.source)
            }
        }
        self.entries = entries
        try self.checkTogether()
    }

    /// Rules across keys: critique switched on needs a critic to run.
    private func checkTogether() throws(ConfigError) {
        guard case .bool(true)? = self.entries["critique.enabled"]?.value,
            case .string(let command)? = self.entries["critique.command"]?.value,
            command.allSatisfy(\.isWhitespace)
        else { return }
        throw .invalidValue(
            source: self.entries["critique.enabled"]?.source ?? ConfigLayer.defaultsSource,
            key: "critique.command",
            value: ConfigValue.quoted(command),
            allowed: "a command when critique.enabled is true (e.g. critique.command=\"tollgate example-critic\")"
        )
    }

    /// This configuration with `layer` applied over it, as a later layer given at resolution would be.
    ///
    /// - Throws: `ConfigError` naming the layer's source when it has an unknown key or a bad value.
    public func overriding(with layer: ConfigLayer, schema: ConfigSchema = .standard) throws(ConfigError)
        -> ResolvedConfig
    {
        var copy = self
        for (name, value) in layer.values.sorted(by: { $0.key < $1.key }) {
            guard let key = schema.key(named: name) else {
                throw .unknownKey(source: layer.source, key: name, suggestion: schema.suggestion(for: name))
            }
            copy.entries[name] = Entry(value: try key.validate(value, source: layer.source), source: layer.source)
        }
        try copy.checkTogether()
        return copy
    }

    /// The entry of a key, or nil when the key is not known.
    public subscript(key: String) -> Entry? {
        self.entries[key]
    }

    /// The value of a string or choice key.
    public func string(_ key: String) -> String {
        guard case .string(let value) = self.required(key) else { Self.wrongKind(key, "string") }
        return value
    }

    /// The value of an integer key.
    public func int(_ key: String) -> Int {
        guard case .int(let value) = self.required(key) else { Self.wrongKind(key, "int") }
        return value
    }

    /// The value of a number key.
    public func double(_ key: String) -> Double {
        guard case .double(let value) = self.required(key) else { Self.wrongKind(key, "double") }
        return value
    }

    /// The value of a boolean key.
    public func bool(_ key: String) -> Bool {
        guard case .bool(let value) = self.required(key) else { Self.wrongKind(key, "bool") }
        return value
    }

    /// The value of a list key.
    public func strings(_ key: String) -> [String] {
        guard case .strings(let value) = self.required(key) else { Self.wrongKind(key, "strings") }
        return value
    }

    /// The value of a gates key.
    public func gates(_ key: String) -> [GateSpec] {
        guard case .gates(let value) = self.required(key) else { Self.wrongKind(key, "gates") }
        return value
    }

    /// The autonomy level's raw value: `full`, `review`, `partial`, `guided` or `dependent`.
    public var autonomy: String {
        self.string("autonomy")
    }

    /// The values as a table for `tollgate config`: one `key = value  (source)` line a key, sorted by key.
    public func rendered() -> String {
        let sorted = self.entries.sorted { $0.key < $1.key }
        let keyWidth = sorted.map(\.key.count).max() ?? 0
        let valueWidth = sorted.map(\.value.value.description.count).max() ?? 0
        return sorted.map { key, entry in
            let value = entry.value.description
            return key.padding(to: keyWidth) + " = " + value.padding(to: valueWidth) + "  (" + entry.source + ")"
        }.joined(separator: "\n") + "\n"
    }

    // MARK: - Codable

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes persisted entries, bringing each value back to its key's kind (JSON writes `8.0` as `8`).
    ///
    /// Keys missing from the file (added to the schema since) take their default; keys the schema no
    /// longer knows are kept as they are.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let schema = ConfigSchema.standard
        var entries: [String: Entry] = [:]
        for key in schema.keys {
            entries[key.name] = Entry(value: key.defaultValue, source: ConfigLayer.defaultsSource)
        }
        for codingKey in container.allKeys {
            var entry = try container.decode(Entry.self, forKey: codingKey)
            if let key = schema.key(named: codingKey.stringValue) {
                do {
                    entry.value = try key.validate(entry.value, source: entry.source)
                } catch {
                    throw DecodingError.dataCorruptedError(
                        forKey: codingKey,
                        in: container,
                        debugDescription: error.description
                    )
                }
            }
            entries[codingKey.stringValue] = entry
        }
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, entry) in self.entries.sorted(by: { $0.key < $1.key }) {
            try container.encode(entry, forKey: Key(stringValue: key))
        }
    }

    // MARK: - Private

    private func required(_ key: String) -> ConfigValue {
        guard let entry = self.entries[key] else {
            // A key name is a constant in the code, checked against the schema by the tests; no user input
            // reaches here (resolution and decoding fill in every schema key).
            preconditionFailure("unknown configuration key \"\(key)\": add it to ConfigSchema.standard")
        }
        return entry.value
    }

    private static func wrongKind(_ key: String, _ kind: String) -> Never {
        // Resolution and decoding validate every schema key's value against its kind, so only a caller
        // asking for the wrong kind (a bug in the code, not in the user's configuration) gets here.
        preconditionFailure("configuration key \"\(key)\" is not of kind \(kind)")
    }
}

extension String {
    /// The string padded with spaces on the right to at least `width` characters.
    fileprivate func padding(to width: Int) -> String {
        self.count >= width ? self : self + String(repeating: " ", count: width - self.count)
    }
}
