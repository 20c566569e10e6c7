/// Every template Tollgate renders, parsed and checked against the placeholders each may use.
public struct TemplateCatalog: Sendable, Equatable {
    private let templates: [TemplateName: Template]

    /// Parses and checks the text of every template.
    ///
    /// - Parameter texts: the contents of each template file, by name; every `TemplateName` must be present.
    /// - Throws: `TemplateError` for a missing template, a syntax error or a placeholder the template may not use.
    public init(texts: [TemplateName: String]) throws(TemplateError) {
        var templates: [TemplateName: Template] = [:]
        for name in TemplateName.allCases {
            guard let text = texts[name] else { throw .missingTemplate(name.fileName) }
            templates[name] = try Self.load(name, text: text)
        }
        self.templates = templates
    }

    /// Parses one template and checks that it uses only the placeholders allowed for it.
    ///
    /// - Throws: `TemplateError.unknownPlaceholder` naming the template, the name and the allowed names.
    public static func load(_ name: TemplateName, text: String) throws(TemplateError) -> Template {
        let template = try Template(parsing: text, name: name.fileName)
        let allowed = name.allowedPlaceholders
        for placeholder in template.placeholders where !allowed.contains(placeholder) {
            throw .unknownPlaceholder(
                template: name.fileName,
                name: placeholder,
                allowed: allowed,
                suggestion: EditDistance.closest(to: placeholder, among: allowed)
            )
        }
        return template
    }

    /// The parsed template of this name.
    ///
    /// - Throws: `TemplateError.missingTemplate`, which the initializer (it stores every `TemplateName` or throws)
    ///   rules out; an error rather than a crash all the same.
    public func template(_ name: TemplateName) throws(TemplateError) -> Template {
        guard let template = self.templates[name] else { throw .missingTemplate(name.fileName) }
        return template
    }

    /// Renders a template with values, by placeholder name.
    ///
    /// - Throws: `TemplateError.missingValues` when a placeholder the template uses has no value.
    public func render(_ name: TemplateName, _ values: [String: String]) throws(TemplateError) -> String {
        try self.template(name).render(values)
    }
}
