import Foundation

/// Checks JSON values against the project's Gitea schemas (`Tests/GiteaServer/schemas/*.json`).
///
/// Supports the subset those schemas use: `type` (a name or a list), `properties`, `required`,
/// `additionalProperties: false`, `items`, `enum`, `anyOf`, `$ref` to another schema file, and the
/// `date-time` format.
struct JSONSchemaValidator {
    let directory: URL
    private var cache: [String: [String: Any]] = [:]

    static let schemasDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GiteaServer/schemas")

    init(directory: URL = Self.schemasDirectory) throws {
        self.directory = directory
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".json") {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            self.cache[file] = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
    }

    /// The names of the schema files, for example `PullRequest.json`.
    var schemaNames: [String] { self.cache.keys.sorted() }

    /// The problems found validating `data` against `schema` (a file name); empty when it conforms.
    func problems(in data: Data, schema: String, isArray: Bool = false) -> [String] {
        guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return ["not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))"]
        }
        let root: [String: Any] = isArray ? ["type": "array", "items": ["$ref": schema]] : ["$ref": schema]
        return self.check(value, against: root, at: "$")
    }

    private func check(_ value: Any, against schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let target = self.cache[reference] else { return ["\(path): unknown schema \(reference)"] }
            return self.check(value, against: target, at: path)
        }
        if let options = schema["anyOf"] as? [[String: Any]] {
            let results = options.map { self.check(value, against: $0, at: path) }
            return results.contains { $0.isEmpty }
                ? [] : ["\(path): matches none of anyOf (\(results.flatMap { $0 }.joined(separator: "; ")))"]
        }
        var problems: [String] = []
        if let types = Self.types(schema["type"]), !types.contains(Self.typeName(of: value)) {
            return ["\(path): expected \(types.joined(separator: "|")), found \(Self.typeName(of: value))"]
        }
        if let allowed = schema["enum"] as? [Any] {
            let matches = allowed.contains { ($0 as? NSObject)?.isEqual(value) ?? ($0 is NSNull && value is NSNull) }
            if !matches { problems.append("\(path): \(value) is not one of \(allowed)") }
        }
        if schema["format"] as? String == "date-time", let text = value as? String {
            let formatter = ISO8601DateFormatter()
            if formatter.date(from: text) == nil { problems.append("\(path): \(text) is not an RFC 3339 time") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(path): missing required \(name)")
            }
            for (name, child) in object.sorted(by: { $0.key < $1.key }) {
                if let childSchema = properties[name] {
                    problems += self.check(child, against: childSchema, at: "\(path).\(name)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): unexpected field \(name)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() {
                problems += self.check(item, against: items, at: "\(path)[\(index)]")
            }
        }
        return problems
    }

    private static func types(_ raw: Any?) -> [String]? {
        if let one = raw as? String { return [one] }
        return raw as? [String]
    }

    private static func typeName(of value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "string"
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        case let number as NSNumber:
            // Foundation reports JSON booleans as NSNumbers of C type `char` ("c").
            if String(cString: number.objCType) == "c" { return "boolean" }
            return number.doubleValue == number.doubleValue.rounded() ? "integer" : "number"
        default: return "unknown"
        }
    }
}
