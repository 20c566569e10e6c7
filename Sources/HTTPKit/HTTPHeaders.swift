/// An ordered list of HTTP header fields with case-insensitive look-up.
///
/// Order and repeated names are kept as received, so `values(for:)` returns every `Link` line.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field.
    public struct Field: Sendable, Equatable {
        /// The field name as sent or received.
        public var name: String
        /// The field value, without surrounding whitespace.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    private var fields: [Field]

    /// Creates a header list from fields, in order.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Creates a header list from name/value pairs, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value for `name`, compared case-insensitively, or `nil`.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return self.fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        let wanted = name.lowercased()
        return self.fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// Adds a field, keeping any existing fields with the same name.
    public mutating func add(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` with one field holding `value`.
    public mutating func set(name: String, value: String) {
        self.remove(name: name)
        self.add(name: name, value: value)
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        let wanted = name.lowercased()
        self.fields.removeAll { $0.name.lowercased() == wanted }
    }

    /// The number of fields.
    public var count: Int { self.fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> {
        self.fields.makeIterator()
    }
}
