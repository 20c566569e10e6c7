import Foundation

/// One parsed tag of the critique markup: `<NAME a="1">`, `</NAME>` or `<NAME/>`.
///
/// A tag holds no strings: its name is a ``Name`` and its attributes are ``Span``s of the parser's
/// buffer, read (as numbers, names or strings) only by the grammar rule that needs them, while the
/// buffer still holds the tag.
struct MarkupTag: Sendable {
    /// The tag's name, such as ``Name/panelist``; ``Name/other`` for a name outside the protocol.
    var name: Name
    /// The name as written when it is ``Name/other`` (only error messages use it), else empty.
    var otherName: String = ""
    /// The protocol's attributes that the tag carries; a repeated name keeps its first value.
    var attributes = Attributes()
    /// Whether this is a closing tag (`</NAME>`).
    var isClose = false
    /// Whether the tag closes itself (`<NAME/>`).
    var isSelfClosing = false
    /// The byte offset of the tag's `<` in the filtered stream.
    var position: Int

    /// The tag's name as written, for messages.
    var nameText: String { self.name == .other ? self.otherName : self.name.text }

    /// The tag names of the protocol.
    ///
    /// A later protocol version adds its own names here; each grammar decides which of them it accepts.
    enum Name: UInt8, Sendable {
        case critiqueRun
        case round
        case panelist
        case notes
        case dim
        case mustFix
        case artifact
        case roundEnd
        case reason
        case ship
        case summary
        /// Any other name.
        case other

        /// The name as written in the stream.
        var text: String { self.bytes.description }

        /// The name as written, without making a string (empty for ``other``).
        var bytes: StaticString {
            switch self {
            case .critiqueRun: "CRITIQUE_RUN"
            case .round: "ROUND"
            case .panelist: "PANELIST"
            case .notes: "NOTES"
            case .dim: "DIM"
            case .mustFix: "MUST_FIX"
            case .artifact: "ARTIFACT"
            case .roundEnd: "ROUND_END"
            case .reason: "REASON"
            case .ship: "SHIP"
            case .summary: "SUMMARY"
            case .other: ""
            }
        }

        /// The name `bytes` spell.
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            let known = MarkupNameWords(padding: bytes)?.tagName
            self = known?.count == bytes.count ? known?.name ?? .other : .other
        }
    }

    /// Where an attribute's value sits in the parser's buffer.
    ///
    /// `start` is the index of its first byte, just after the opening quote (entities not decoded);
    /// the value ends at the next byte equal to that quote.
    ///
    /// One word, so that a tag stays small to copy; ``absent`` (index 0, where a value never starts)
    /// stands for an attribute the tag does not carry.
    struct Span: Sendable, Equatable {
        var start: Int

        /// The span of an attribute the tag does not carry.
        static let absent = Span(start: 0)

        /// Whether the tag carries the attribute.
        var isPresent: Bool { self.start != 0 }
    }

    /// The values of the attribute names the protocol reads; other names are checked for syntax only.
    struct Attributes: Sendable {
        var version = Span.absent
        var maxRounds = Span.absent
        var threshold = Span.absent
        var scale = Span.absent
        var n = Span.absent
        var role = Span.absent
        var score = Span.absent
        var mustFix = Span.absent
        var name = Span.absent
        var mime = Span.absent
        var composite = Span.absent
        var decision = Span.absent
        var round = Span.absent
        var status = Span.absent

        /// Records `value` for the attribute `key`, unless the name is unknown or already set.
        mutating func set(_ key: AttributeKey, to value: Span) {
            switch key {
            case .version: Self.keepFirst(&self.version, value)
            case .maxRounds: Self.keepFirst(&self.maxRounds, value)
            case .threshold: Self.keepFirst(&self.threshold, value)
            case .scale: Self.keepFirst(&self.scale, value)
            case .n: Self.keepFirst(&self.n, value)
            case .role: Self.keepFirst(&self.role, value)
            case .score: Self.keepFirst(&self.score, value)
            case .mustFix: Self.keepFirst(&self.mustFix, value)
            case .name: Self.keepFirst(&self.name, value)
            case .mime: Self.keepFirst(&self.mime, value)
            case .composite: Self.keepFirst(&self.composite, value)
            case .decision: Self.keepFirst(&self.decision, value)
            case .round: Self.keepFirst(&self.round, value)
            case .status: Self.keepFirst(&self.status, value)
            case .other: break
            }
        }

        private static func keepFirst(_ slot: inout Span, _ value: Span) {
            if !slot.isPresent { slot = value }
        }
    }

    /// The attribute names the protocol reads; ``other`` for any other name.
    enum AttributeKey: UInt8, Sendable {
        case version
        case maxRounds
        case threshold
        case scale
        case n
        case role
        case score
        case mustFix
        case name
        case mime
        case composite
        case decision
        case round
        case status
        case other

        /// The key `bytes` spell.
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            let known = MarkupNameWords(padding: bytes)?.attributeKey
            self = known?.count == bytes.count ? known?.key ?? .other : .other
        }
    }

    /// What ``parse(_:from:limit:into:)`` found.
    enum ParseResult {
        /// A whole tag whose `>` is at the index given.
        case closed(at: Int)
        /// The bytes up to `limit` are a valid start of a tag that has not ended yet.
        case incomplete
        /// The syntax is wrong.
        case invalid
    }

    /// Parses the tag whose `<` is at `start` in `bytes` into `tag` (a new tag, its position set),
    /// reading no further than `limit`.
    ///
    /// The tag ends at the first `>` outside a quoted value, the same `>` the parser's resumable scan
    /// finds, so a tag parsed here in one piece reads exactly as one whose bytes arrived in parts.
    /// (The tag is filled in place rather than returned: it is a few hundred bytes, and every copy counts.)
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        limit: Int,
        into tag: inout MarkupTag
    ) -> ParseResult {
        // Every read below is at an index below `limit`, so this keeps them all inside `bytes`.
        precondition(start >= 0 && start < limit && limit <= bytes.count, "Invalid state: tag bounds")
        var index = start + 1  // after "<"
        if index < limit, bytes[index] == 0x2F {  // "/"
            tag.isClose = true
            index += 1
        }
        let nameStart = index
        if let known = MarkupNameWords(bytes, at: nameStart, limit: limit)?.tagName {
            // The common case, a protocol name read a word at a time; the run of name bytes ends with it.
            tag.name = known.name
            index = nameStart + known.count
        } else {
            while index < limit, Self.isNameByte(bytes[index]) { index += 1 }
            guard index < limit else { return .incomplete }
            guard index > nameStart, Self.isNameStart(bytes[nameStart]) else { return .invalid }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<index])
            tag.name = Name(name)
            if tag.name == .other { tag.otherName = String(decoding: name, as: UTF8.self) }
        }
        while true {
            while index < limit, Self.isSpace(bytes[index]) { index += 1 }
            guard index < limit else { return .incomplete }
            let byte = bytes[index]
            if byte == 0x3E { return .closed(at: index) }  // ">"
            if byte == 0x2F, !tag.isClose {  // "/"
                guard index + 1 < limit else { return .incomplete }
                guard bytes[index + 1] == 0x3E else { return .invalid }
                tag.isSelfClosing = true
                return .closed(at: index + 1)
            }
            guard !tag.isClose else { return .invalid }
            let keyStart = index
            let key: AttributeKey
            if let known = MarkupNameWords(bytes, at: keyStart, limit: limit)?.attributeKey {
                key = known.key
                index = keyStart + known.count
            } else {
                while index < limit, Self.isNameByte(bytes[index]) { index += 1 }
                guard index < limit else { return .incomplete }
                guard index > keyStart else { return .invalid }
                key = AttributeKey(UnsafeBufferPointer(rebasing: bytes[keyStart..<index]))
            }
            while index < limit, Self.isSpace(bytes[index]) { index += 1 }
            guard index < limit else { return .incomplete }
            guard bytes[index] == 0x3D else { return .invalid }  // "="
            index += 1
            while index < limit, Self.isSpace(bytes[index]) { index += 1 }
            guard index < limit else { return .incomplete }
            let quote = bytes[index]
            guard quote == 0x22 || quote == 0x27 else { return .invalid }  // '"' or "'"
            index += 1
            let valueStart = index
            while index < limit, bytes[index] != quote { index += 1 }
            guard index < limit else { return .incomplete }
            tag.attributes.set(key, to: Span(start: valueStart))
            index += 1
        }
    }

    /// Whether `bytes` spell `text` (ASCII).
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { Self.equals(bytes, $0) }
    }

    /// Whether `a` and `b` hold the same bytes (a plain loop: names are a few bytes long).
    static func equals(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var index = 0
        while index < a.count {
            if a[index] != b[index] { return false }
            index += 1
        }
        return true
    }

    /// Whether `byte` may start a tag name (an ASCII letter).
    ///
    /// This and the tests below compare with plain integers (`0x41` is `A`): they run for every byte of
    /// every tag, and ranges and `UInt8(ascii:)` are calls in an unoptimised build.
    static func isNameStart(_ byte: UInt8) -> Bool {
        let folded = byte | 0x20  // ASCII upper case to lower case; no other byte becomes a letter
        return folded >= 0x61 && folded <= 0x7A
    }

    /// Whether `byte` may appear in a tag or attribute name: an ASCII letter or digit, `_`, `-` or `:`.
    ///
    /// One bit per byte value below 128, in two words, so the test is a shift and a mask, no branch.
    static func isNameByte(_ byte: UInt8) -> Bool {
        // Bits 45 (-), 48...57 (digits) and 58 (:) of the bytes 0...63.
        let low: UInt64 = 0x07FF_2000_0000_0000
        // Bits 1...26 (A...Z), 31 (_) and 33...58 (a...z) of the bytes 64...127.
        let high: UInt64 = 0x07FF_FFFE_87FF_FFFE
        let word = byte < 64 ? low : (byte < 128 ? high : 0)
        return (word >> UInt64(byte & 63)) & 1 != 0
    }

    /// Whether `byte` is XML white space.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The text of `bytes` with entities decoded; decoding is skipped when there is no `&`.
    static func decodedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: "&")), bytes.count) != nil else {
            return text
        }
        return Self.decodeEntities(text)
    }

    /// Replaces the five predefined XML entities (`&lt;` `&gt;` `&quot;` `&apos;` `&amp;`).
    static func decodeEntities(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
