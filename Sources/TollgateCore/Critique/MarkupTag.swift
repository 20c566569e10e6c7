import Foundation

/// One parsed tag of the critique markup: `<NAME a="1">`, `</NAME>` or `<NAME/>`.
struct MarkupTag: Sendable, Equatable {
    /// The tag's name, such as `PANELIST`.
    var name: String
    /// The attributes in the order written; a repeated name keeps its first value.
    var attributes: Attributes
    /// Whether this is a closing tag (`</NAME>`).
    var isClose: Bool
    /// Whether the tag closes itself (`<NAME/>`).
    var isSelfClosing: Bool
    /// The byte offset of the tag's `<` in the filtered stream.
    var position: Int

    /// Parses the bytes of a whole tag, from `<` to `>` inclusive; `nil` if the syntax is wrong.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, position: Int) -> MarkupTag? {
        var index = bytes.startIndex + 1  // after "<"
        let end = bytes.endIndex - 1  // at ">"
        var isClose = false
        if index < end, bytes[index] == UInt8(ascii: "/") {
            isClose = true
            index += 1
        }
        let nameStart = index
        while index < end, Self.isNameByte(bytes[index]) { index += 1 }
        guard index > nameStart, Self.isNameStart(bytes[nameStart]) else { return nil }
        let name = Self.string(UnsafeBufferPointer(rebasing: bytes[nameStart..<index]), interning: Self.knownNames)
        var attributes = Attributes()
        var isSelfClosing = false
        while true {
            while index < end, Self.isSpace(bytes[index]) { index += 1 }
            if index == end { break }
            if bytes[index] == UInt8(ascii: "/"), index + 1 == end, !isClose {
                isSelfClosing = true
                break
            }
            guard !isClose else { return nil }
            let keyStart = index
            while index < end, Self.isNameByte(bytes[index]) { index += 1 }
            guard index > keyStart else { return nil }
            let key = Self.string(UnsafeBufferPointer(rebasing: bytes[keyStart..<index]), interning: Self.knownNames)
            while index < end, Self.isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "=") else { return nil }
            index += 1
            while index < end, Self.isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                return nil
            }
            let quote = bytes[index]
            index += 1
            let valueStart = index
            while index < end, bytes[index] != quote { index += 1 }
            guard index < end else { return nil }
            let raw = UnsafeBufferPointer(rebasing: bytes[valueStart..<index])
            index += 1
            if attributes[key] == nil {
                if attributes.pairs.isEmpty { attributes.pairs.reserveCapacity(Self.typicalAttributeCount) }
                attributes.pairs.append((key, Self.decodedString(raw)))
            }
        }
        return MarkupTag(
            name: name, attributes: attributes, isClose: isClose, isSelfClosing: isSelfClosing, position: position)
    }

    /// A tag's few attributes, looked up by a linear scan (cheaper than hashing for three or four).
    struct Attributes: Sendable, Equatable {
        var pairs: [(name: String, value: String)] = []

        subscript(name: String) -> String? {
            // Names differ in length more often than not, and lengths compare without a call.
            let count = name.utf8.count
            return self.pairs.first { $0.name.utf8.count == count && $0.name == name }?.value
        }

        static func == (lhs: Attributes, rhs: Attributes) -> Bool {
            lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
        }
    }

    /// Whether `byte` may start a tag name (an ASCII letter).
    static func isNameStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    /// Whether `byte` may appear in a tag or attribute name.
    static func isNameByte(_ byte: UInt8) -> Bool {
        Self.isNameStart(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
    }

    /// Whether `byte` is XML white space.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Room reserved for a tag's attributes on the first one, so a tag needs one allocation for them.
    static let typicalAttributeCount = 4

    /// The tag and attribute names of the protocol, keyed by their bytes.
    ///
    /// A name read from the stream that equals one of these reuses the stored string, which costs no
    /// allocation and no UTF-8 validation; the strings are the same either way.
    static let knownNames: [(key: NameKey, string: String)] = (CritiqueGrammarV1.knownTags + [
        "version", "maxRounds", "threshold", "scale", "n", "role", "score", "must_fix", "name", "mime",
        "composite", "decision", "round", "status",
    ]).compactMap { name in
        Array(name.utf8).withUnsafeBufferPointer { NameKey($0) }.map { ($0, name) }
    }

    /// Up to 16 bytes of a name packed into two words, so that comparing names is comparing integers.
    struct NameKey: Equatable, Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count: Int

        /// The key of `bytes`; `nil` when they are longer than 16 bytes.
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard bytes.count <= 16 else { return nil }
            self.count = bytes.count
            var index = 0
            while index < min(bytes.count, 8) {
                self.low |= UInt64(bytes[index]) &<< (8 &* UInt64(index))
                index += 1
            }
            while index < bytes.count {
                self.high |= UInt64(bytes[index]) &<< (8 &* UInt64(index &- 8))
                index += 1
            }
        }

        /// The key of a string's UTF-8 bytes; `nil` when they are longer than 16 bytes.
        init?(_ string: String) {
            var string = string
            guard let key = string.withUTF8({ NameKey($0) }) else { return nil }
            self = key
        }
    }

    /// The string for `bytes`: the stored copy from `table` when one matches, else a new string.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, interning table: [(key: NameKey, string: String)]) -> String {
        if let key = NameKey(bytes), let entry = table.first(where: { $0.key == key }) { return entry.string }
        return String(decoding: bytes, as: UTF8.self)
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
