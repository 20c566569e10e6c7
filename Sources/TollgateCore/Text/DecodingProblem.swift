/// A `DecodingError` told as a sentence a user can act on: which field, and what it must be.
public enum DecodingProblem {
    /// `error` as "`usage.costUSD` must be a number", "`summary` must not be null", "it is not valid JSON", or
    /// the error's own description when it is not a decoding error.
    public static func sentence(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)) must be \(kind(of: type))"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)) must be \(kind(of: type)), not null"
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "it is not valid JSON" : "\(field(context.codingPath)) is not valid: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func field(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the document" }
        let names = path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
        var text = ""
        for name in names {
            text += name.hasPrefix("[") || text.isEmpty ? name : "." + name
        }
        return "`\(text)`"
    }

    private static func kind(of type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String": return "a string"
        case "Bool": return "true or false"
        case "Int", "Double", "Float", "Int64", "UInt": return "a number"
        case _ where name.hasPrefix("Array") || name.hasPrefix("["): return "a list"
        case _ where name.hasPrefix("Dictionary"): return "an object"
        default: return "an object"
        }
    }
}
