import Foundation

/// The attribute values of a tag, read from the parser's buffer only when a grammar rule asks.
///
/// Each reader gives exactly what reading the entity-decoded value as a `String` would (`Int(_:)`,
/// `Double(_:)`, equality): values made only of the characters it expects are read from the bytes,
/// anything else goes through the string.
struct MarkupAttributeValues {
    /// The buffer that holds the tag, which ``MarkupTag/Span``s point into.
    let bytes: [UInt8]

    /// Calls `body` with the bytes of `span`, a value the tag carries: from its start to the next
    /// byte equal to the quote before it (the tag's parse found that quote in the buffer).
    func withBytes<Result>(_ span: MarkupTag.Span, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        self.bytes.withUnsafeBufferPointer { buffer in
            // The span comes from parsing this buffer, so it starts inside it, after the opening quote;
            // the clamp keeps every access below inside the buffer whatever the span says.
            let start = max(1, min(span.start, buffer.count))
            guard start < buffer.count else { return body(UnsafeBufferPointer(rebasing: buffer[0..<0])) }
            let quote = buffer[start - 1]
            var end = start
            while end < buffer.count, buffer[end] != quote { end += 1 }
            return body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// The value as a string, entities decoded; `nil` when the attribute is absent.
    func string(_ span: MarkupTag.Span) -> String? {
        guard span.isPresent else { return nil }
        return self.withBytes(span) { MarkupTag.decodedString($0) }
    }

    /// `Int(_:)` of the value; `nil` when the attribute is absent or not an integer.
    func integer(_ span: MarkupTag.Span) -> Int? {
        guard span.isPresent else { return nil }
        if let value = self.withBytes(span, Self.plainInteger) { return value }
        return self.string(span).flatMap { Int($0) }
    }

    /// What reading a value as a number or a count gave.
    enum Reading<Value> {
        /// The tag does not carry the attribute.
        case absent
        /// The value read.
        case value(Value)
        /// The value (entities decoded) does not read as one.
        case invalid(String)
    }

    /// `Double(_:)` of the value, or of the value without blanks around it; invalid when neither
    /// reads, or the number is not finite.
    func number(_ span: MarkupTag.Span) -> Reading<Double> {
        guard span.isPresent else { return .absent }
        if let value = self.plainDecimal(span) { return .value(value) }
        let raw = self.string(span) ?? ""
        let value = Double(raw) ?? Double(raw.trimmingCharacters(in: .whitespaces))
        return value.map { $0.isFinite ? .value($0) : .invalid(raw) } ?? .invalid(raw)
    }

    /// `Int(_:)` of the value, or of the value without blanks around it; invalid when neither reads,
    /// or the count is negative.
    func count(_ span: MarkupTag.Span) -> Reading<Int> {
        guard span.isPresent else { return .absent }
        if let value = self.integer(span), value >= 0 { return .value(value) }
        let raw = self.string(span) ?? ""
        guard let value = Int(raw) ?? Int(raw.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            return .invalid(raw)
        }
        return .value(value)
    }

    /// The decision the value names, compared as bytes; `nil` when absent or not a decision.
    func decision(_ span: MarkupTag.Span) -> CritiqueDecision? {
        guard span.isPresent else { return nil }
        let known: CritiqueDecision? = self.withBytes(span) { bytes in
            if MarkupTag.equals(bytes, "continue") { return .continue }
            if MarkupTag.equals(bytes, "ship") { return .ship }
            return nil
        }
        if let known { return known }
        return self.string(span).flatMap { CritiqueDecision(rawValue: $0) }
    }

    /// The value of a plain decimal such as `7.25` or `-2`, or `nil` for anything else; see
    /// ``plainDecimal(_:)-(UnsafeBufferPointer<UInt8>)``.
    func plainDecimal(_ span: MarkupTag.Span) -> Double? {
        self.withBytes(span, Self.plainDecimal)
    }

    /// The value of up to 18 ASCII digits; `nil` for anything else (a sign, spaces, more digits), which
    /// `Int(_:)` then reads.
    static func plainInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            let digit = byte &- 0x30
            guard digit <= 9 else { return nil }
            value = value &* 10 &+ Int(digit)
        }
        return value
    }

    /// `10^exponent` for `0...15`, each exact in a `Double` (a switch of constants: no table to load
    /// lazily on every call).
    private static func exactPowerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    /// The value of a plain decimal such as `7.25` or `-2`, without the general number parser; `nil`
    /// for anything else (signs other than `-`, exponents, spaces, entities, more than 15 digits), which
    /// `Double(_:)` then reads.
    ///
    /// The result is the same as `Double(_:)`'s: the digits, read as an integer, and the power of ten
    /// are both exact in a `Double`, and one IEEE division of exact values is correctly rounded.
    static func plainDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var negative = false
        var seenPoint = false
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            digits += 1
            if seenPoint { fractionDigits += 1 }
            guard digits <= 15 else { return nil }
            mantissa = mantissa * 10 + UInt64(digit)
        }
        guard digits > 0, !(seenPoint && fractionDigits == 0) else { return nil }
        // At most 15 digits in all, so `fractionDigits` is at most 15.
        let magnitude = Double(mantissa) / Self.exactPowerOfTen(fractionDigits)
        return negative ? -magnitude : magnitude
    }
}
