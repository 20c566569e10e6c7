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
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<index]), as: UTF8.self)
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
            let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[keyStart..<index]), as: UTF8.self)
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
            let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<index]), as: UTF8.self)
            index += 1
            if attributes[key] == nil { attributes.pairs.append((key, Self.decodeEntities(raw))) }
        }
        return MarkupTag(
            name: name, attributes: attributes, isClose: isClose, isSelfClosing: isSelfClosing, position: position)
    }

    /// A tag's few attributes, looked up by a linear scan (cheaper than hashing for three or four).
    struct Attributes: Sendable, Equatable {
        var pairs: [(name: String, value: String)] = []

        subscript(name: String) -> String? {
            self.pairs.first { $0.name == name }?.value
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
