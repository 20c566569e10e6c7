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
                attributes.pairs.append(Attribute(name: key, value: Self.decodedString(raw)))
            }
        }
        return MarkupTag(
            name: name, attributes: attributes, isClose: isClose, isSelfClosing: isSelfClosing, position: position)
    }

    /// One `name="value"` of a tag, the value with its entities decoded.
    struct Attribute: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// A tag's few attributes, looked up by a linear scan (cheaper than hashing for three or four).
    struct Attributes: Sendable, Equatable {
        var pairs: [Attribute] = []

        subscript(name: String) -> String? {
            // Names differ in length more often than not, and lengths compare without a call.
            let count = name.utf8.count
            for pair in self.pairs where pair.name.utf8.count == count && pair.name == name { return pair.value }
            return nil
        }
    }

    /// Whether `byte` may start a tag name (an ASCII letter).
    ///
    /// This and the tests below compare with plain integers (`0x41` is `A`): they run for every byte of
    /// every tag, and ranges and `UInt8(ascii:)` are calls in an unoptimised build.
    static func isNameStart(_ byte: UInt8) -> Bool {
        let folded = byte | 0x20  // ASCII upper case to lower case; no other byte becomes a letter
        return folded >= 0x61 && folded <= 0x7A
    }

    /// Whether `byte` may appear in a tag or attribute name.
    static func isNameByte(_ byte: UInt8) -> Bool {
        Self.isNameStart(byte) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D || byte == 0x3A
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
    static let knownNames = KnownNames(
        CritiqueGrammarV1.knownTags + [
            "version", "maxRounds", "threshold", "scale", "n", "role", "score", "must_fix", "name", "mime",
            "composite", "decision", "round", "status",
        ]
    )

    /// Names by key in a small open-addressing hash table, so that a look-up hashes two words and
    /// compares a slot or two instead of searching the list.
    struct KnownNames: Sendable {
        /// Slots in the table: a power of two, at least twice the number of names.
        static let slotCount = 64
        private var keys: [NameKey?]
        private var strings: [String]

        init(_ names: [String]) {
            self.keys = Array(repeating: nil, count: Self.slotCount)
            self.strings = Array(repeating: "", count: Self.slotCount)
            for name in names {
                guard let key = NameKey(name), self.index(of: key) == nil else { continue }
                var slot = key.slot(in: Self.slotCount)
                while self.keys[slot] != nil { slot = (slot + 1) & (Self.slotCount - 1) }
                self.keys[slot] = key
                self.strings[slot] = name
            }
        }

        /// The slot that holds `key`, if it is a known name.
        func index(of key: NameKey) -> Int? {
            var slot = key.slot(in: Self.slotCount)
            while let stored = self.keys[slot] {
                if stored == key { return slot }
                slot = (slot + 1) & (Self.slotCount - 1)
            }
            return nil
        }

        /// The stored string for `key`, if it is a known name.
        func string(for key: NameKey) -> String? {
            self.index(of: key).map { self.strings[$0] }
        }
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

        /// The key's slot in a hash table of `count` slots (a power of two).
        func slot(in count: Int) -> Int {
            let mixed =
                (self.low ^ (self.high &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: self.count))
                &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: mixed >> 32) & (count - 1)
        }

        /// The key of a string's UTF-8 bytes; `nil` when they are longer than 16 bytes.
        init?(_ string: String) {
            var string = string
            guard let key = string.withUTF8({ NameKey($0) }) else { return nil }
            self = key
        }
    }

    /// The string for `bytes`: the stored copy from `table` when one matches, else a new string.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, interning table: KnownNames) -> String {
        if let key = NameKey(bytes), let known = table.string(for: key) { return known }
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
