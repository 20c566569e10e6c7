import Foundation
import TollgateCore

/// Reads Tollgate's configuration files and templates from a resource folder, as pure values.
///
/// The folder holds `config/defaults.json`, `config/experts/<name>.json` and `Templates/*.md`. Layers are
/// labelled with paths relative to the folder (`config/experts/coder.json`), so errors and `job.json`
/// never show where the folder sits on this machine.
public struct ResourceBundle: Sendable {
    /// An expert: a named set of settings with a one-line description.
    public struct Expert: Sendable, Equatable {
        public var name: String
        public var description: String
    }

    /// The folder that holds `config/` and `Templates/`.
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// Finds the resource folder through a locator (`--home`, `$TOLLGATE_HOME`, next to the executable, source tree).
    public static func locate(_ locator: ResourceLocator = ResourceLocator()) throws(ResourceError) -> ResourceBundle {
        ResourceBundle(root: try locator.locate())
    }

    /// The layer of `config/defaults.json`.
    public func defaultsLayer() throws -> ConfigLayer {
        try self.layer(at: "config/defaults.json")
    }

    /// The names of the experts, one per `config/experts/*.json` file, sorted.
    public func expertNames() throws -> [String] {
        let folder = self.root.appendingPathComponent("config/experts")
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw ResourceError.unreadable(path: "config/experts/", reason: Self.reason(error))
        }
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .map { String($0.dropLast(".json".count)) }
            .sorted()
    }

    /// The layer of one expert's file.
    ///
    /// - Throws: `ConfigError.unknownExpert` listing the available experts when there is no such file.
    public func expertLayer(named name: String) throws -> ConfigLayer {
        let available = try self.expertNames()
        guard available.contains(name) else { throw ConfigError.unknownExpert(name: name, available: available) }
        return try self.layer(at: "config/experts/\(name).json")
    }

    /// Every expert with its description, sorted by name.
    public func experts() throws -> [Expert] {
        try self.expertNames().map { name in
            Expert(name: name, description: try self.expertLayer(named: name).description ?? "")
        }
    }

    /// The configuration of a new job, the one way it is resolved: the schema's defaults, `config/defaults.json`,
    /// the expert's file, the job's `--set` options and flags, then the `TOLLGATE_CRITIQUE_*` variables of
    /// `environment`, which win (as they do over a stored job's settings at each run).
    ///
    /// - Throws: `ConfigError` or `ResourceError`, naming the file, flag or variable at fault.
    public func resolveConfig(options: JobOptions, environment: [String: String]) throws -> ResolvedConfig {
        var layers = [try self.defaultsLayer()]
        if let expert = options.expert { layers.append(try self.expertLayer(named: expert)) }
        layers += try options.overrideLayers()
        layers += try ConfigLayer.environment(environment)
        return try ResolvedConfig(layers: layers)
    }

    /// Reads, parses and checks every template under `Templates/`.
    ///
    /// - Throws: `ResourceError.unreadable` for a missing file, `TemplateError` for a bad template.
    public func templateCatalog() throws -> TemplateCatalog {
        var texts: [TemplateName: String] = [:]
        for name in TemplateName.allCases {
            let relative = "Templates/" + name.fileName
            let data = try self.read(relative)
            guard let text = String(data: data, encoding: .utf8) else {
                throw ResourceError.unreadable(path: relative, reason: "not UTF-8 text")
            }
            texts[name] = text
        }
        return try TemplateCatalog(texts: texts)
    }

    private func layer(at relative: String) throws -> ConfigLayer {
        try ConfigLayer(json: try self.read(relative), source: relative)
    }

    private func read(_ relative: String) throws(ResourceError) -> Data {
        do {
            return try Data(contentsOf: self.root.appendingPathComponent(relative))
        } catch {
            throw .unreadable(path: relative, reason: Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain,
            nsError.code == NSFileReadNoSuchFileError || nsError.code == NSFileNoSuchFileError
        {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
