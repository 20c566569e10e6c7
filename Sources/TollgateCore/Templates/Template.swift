/// A text with `{{name}}` placeholders, parsed once and rendered with values.
///
/// Spaces inside the braces are allowed (`{{ jobId }}`); a name is letters, digits and `_`, not starting
/// with a digit. Single braces are plain text. An opening `{{` without a closing `}}` is an error.
public struct Template: Sendable, Equatable {
    /// A piece of the parsed text.
    public enum Segment: Sendable, Equatable {
        case text(String)
        case placeholder(String)
    }

    /// The template's name in errors, usually its file name.
    public let name: String
    /// The text and placeholders, in order.
    public let segments: [Segment]

    /// Parses a template's text.
    ///
    /// - Parameters:
    ///   - text: the template's contents.
    ///   - name: named in errors, such as `brief-strategic.md`.
    /// - Throws: `TemplateError.unclosedPlaceholder` or `.invalidPlaceholder`, with the line number.
    public init(parsing text: String, name: String) throws(TemplateError) {
        self.name = name
        var segments: [Segment] = []
        var rest = Substring(text)
        var line = 1
        while let open = rest.firstRange(of: "{{") {
            let before = rest[..<open.lowerBound]
            if !before.isEmpty { segments.append(.text(String(before))) }
            line += before.count { $0 == "\n" }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                throw .unclosedPlaceholder(template: name, line: line)
            }
            let inner = afterOpen[..<close.lowerBound]
            let placeholder = Self.trimmed(inner)
            guard Self.isName(placeholder) else {
                throw .invalidPlaceholder(template: name, line: line, text: "{{" + String(inner) + "}}")
            }
            segments.append(.placeholder(placeholder))
            line += inner.count { $0 == "\n" }
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        self.segments = segments
    }

    /// The names of the placeholders used, each once, in order of first use.
    public var placeholders: [String] {
        var seen: Set<String> = []
        return self.segments.compactMap { segment in
            guard case .placeholder(let name) = segment, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// The text with every placeholder replaced by its value; values are inserted as they are, never parsed.
    ///
    /// Values for names the template does not use are ignored.
    /// - Throws: `TemplateError.missingValues` listing every used placeholder without a value.
    public func render(_ values: [String: String]) throws(TemplateError) -> String {
        let missing = self.placeholders.filter { values[$0] == nil }
        guard missing.isEmpty else { throw .missingValues(template: self.name, names: missing.sorted()) }
        var output = ""
        for segment in self.segments {
            switch segment {
            case .text(let text): output += text
            case .placeholder(let name): output += values[name] ?? ""
            }
        }
        return output
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    private static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_"
        }
    }
}
