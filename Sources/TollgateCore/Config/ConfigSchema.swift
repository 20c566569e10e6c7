/// Every configuration key Tollgate knows, sorted by name, with kinds, defaults and docs.
public struct ConfigSchema: Sendable, Equatable {
    /// The keys, sorted by name.
    public let keys: [ConfigKey]
    private let index: [String: Int]

    /// Creates a schema; the keys are sorted by name and must be unique.
    public init(keys: [ConfigKey]) {
        let sorted = keys.sorted { $0.name < $1.name }
        self.keys = sorted
        self.index = Dictionary(sorted.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The key with this dotted name, if the schema has it.
    public func key(named name: String) -> ConfigKey? {
        self.index[name].map { self.keys[$0] }
    }

    /// The known key nearest to an unknown name, for a "did you mean" hint.
    public func suggestion(for name: String) -> String? {
        EditDistance.closest(to: name, among: self.keys.map(\.name))
    }

    /// The bottom layer of every resolution: each key's default, with the source `defaults`.
    public var defaultsLayer: ConfigLayer {
        ConfigLayer(
            source: ConfigLayer.defaultsSource,
            values: Dictionary(uniqueKeysWithValues: self.keys.map { ($0.name, $0.defaultValue) })
        )
    }

    /// The keys of Tollgate (``ConfigKeys``), as documented in `docs/configuration.md`.
    public static let standard = ConfigSchema(keys: ConfigKeys.all)
}
