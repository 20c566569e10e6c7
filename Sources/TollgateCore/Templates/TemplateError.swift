/// A template that cannot be loaded or rendered; each case names the template.
public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `{{` with no `}}` after it.
    case unclosedPlaceholder(template: String, line: Int)
    /// Braces around something that is not a name, such as `{{}}` or `{{job id}}`.
    case invalidPlaceholder(template: String, line: Int, text: String)
    /// A placeholder the template may not use, with the names it may use.
    case unknownPlaceholder(template: String, name: String, allowed: [String], suggestion: String?)
    /// Placeholders used by the template that were given no value when rendering.
    case missingValues(template: String, names: [String])
    /// A template the catalog needs but was not given.
    case missingTemplate(String)

    public var description: String {
        switch self {
        case .unclosedPlaceholder(let template, let line):
            return "\(template):\(line): \"{{\" is not closed by \"}}\""
        case .invalidPlaceholder(let template, let line, let text):
            return
                "\(template):\(line): \(text) is not a placeholder; write {{name}} with a name of letters, digits and _"
        case .unknownPlaceholder(let template, let name, let allowed, let suggestion):
            let hint = suggestion.map { " (did you mean {{\($0)}}?)" } ?? ""
            return "\(template): unknown placeholder {{\(name)}}\(hint); allowed: " + allowed.joined(separator: ", ")
        case .missingValues(let template, let names):
            return "\(template): no value for " + names.map { "{{\($0)}}" }.joined(separator: ", ")
        case .missingTemplate(let name):
            return "template \(name) is missing"
        }
    }
}
