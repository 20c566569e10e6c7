/// The first 16 bytes of a tag or attribute name, read as two words, to recognise the protocol's names
/// without a loop over their bytes.
///
/// Each name is compared as at most two masked little-endian words, and is taken only when the byte
/// after it cannot continue a name: then the name bytes run exactly to its end, the same run the
/// parser's byte loop finds. Anything else (another name, fewer than 16 bytes left) gives `nil`, and
/// the caller reads the name byte by byte, then recognises it with ``init(padding:)``.
struct MarkupNameWords {
    /// Bytes 0 to 7 from the name's start, the first in the low byte.
    let low: UInt64
    /// Bytes 8 to 15.
    let high: UInt64

    /// Reads the 16 bytes from `start`; `nil` when fewer than 16 lie before `limit`.
    init?(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, limit: Int) {
        guard start >= 0, start + 16 <= limit, limit <= bytes.count, let base = bytes.baseAddress else {
            return nil
        }
        // Unchecked reads, checked by construction: `start + 16 <= limit <= bytes.count`, so both
        // 8-byte loads lie inside `bytes`.
        let raw = UnsafeRawPointer(base + start)
        self.low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        self.high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Reads a whole name of up to 15 bytes, padded with zero bytes (which cannot continue a name);
    /// `nil` for a longer one, which is none of the protocol's.
    init?(padding bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count < 16 else { return nil }
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                low |= UInt64(byte) << UInt64(8 * index)
            } else {
                high |= UInt64(byte) << UInt64(8 * (index - 8))
            }
        }
        self.low = low
        self.high = high
    }

    /// A mask of the low `count` bytes of a word (`count` clamped to `0...8`).
    private static func mask(_ count: Int) -> UInt64 {
        if count >= 8 { return ~0 }
        if count <= 0 { return 0 }
        return (1 << UInt64(8 * count)) &- 1
    }

    /// Whether the words start with the `count`-byte name whose words are `low` and `high`, followed by
    /// a byte that cannot continue a name (`count` at most 15).
    @inline(__always)
    private func spell(_ low: UInt64, _ high: UInt64, count: Int) -> Bool {
        guard self.low & Self.mask(count) == low, self.high & Self.mask(count - 8) == high else { return false }
        let next = count < 8 ? self.low >> UInt64(8 * count) : self.high >> UInt64(8 * (count - 8))
        return !MarkupTag.isNameByte(UInt8(truncatingIfNeeded: next))
    }

    /// The protocol's tag name these bytes start with, and its length.
    @inline(__always)
    var tagName: (name: MarkupTag.Name, count: Int)? {
        // The words are the names' ASCII bytes, little-endian ("DIM" is 0x4D_49_44).
        switch UInt8(truncatingIfNeeded: self.low) {
        case 0x44:  // D
            if self.spell(0x0000_0000_004D_4944, 0, count: 3) { return (.dim, 3) }
        case 0x53:  // S
            if self.spell(0x0000_0000_5049_4853, 0, count: 4) { return (.ship, 4) }
            if self.spell(0x0059_5241_4D4D_5553, 0, count: 7) { return (.summary, 7) }
        case 0x52:  // R
            if self.spell(0x0000_0044_4E55_4F52, 0, count: 5) { return (.round, 5) }
            if self.spell(0x4E45_5F44_4E55_4F52, 0x44, count: 9) { return (.roundEnd, 9) }
            if self.spell(0x0000_4E4F_5341_4552, 0, count: 6) { return (.reason, 6) }
        case 0x4E:  // N
            if self.spell(0x0000_0053_4554_4F4E, 0, count: 5) { return (.notes, 5) }
        case 0x50:  // P
            if self.spell(0x5453_494C_454E_4150, 0, count: 8) { return (.panelist, 8) }
        case 0x4D:  // M
            if self.spell(0x5849_465F_5453_554D, 0, count: 8) { return (.mustFix, 8) }
        case 0x41:  // A
            if self.spell(0x5443_4146_4954_5241, 0, count: 8) { return (.artifact, 8) }
        case 0x43:  // C
            if self.spell(0x4555_5149_5449_5243, 0x4E55_525F, count: 12) { return (.critiqueRun, 12) }
        default:
            break
        }
        return nil
    }

    /// The protocol's attribute name these bytes start with, and its length.
    @inline(__always)
    var attributeKey: (key: MarkupTag.AttributeKey, count: Int)? {
        switch UInt8(truncatingIfNeeded: self.low) {
        case 0x6E:  // n
            if self.spell(0x6E, 0, count: 1) { return (.n, 1) }
            if self.spell(0x0000_0000_656D_616E, 0, count: 4) { return (.name, 4) }
        case 0x72:  // r
            if self.spell(0x0000_0000_656C_6F72, 0, count: 4) { return (.role, 4) }
            if self.spell(0x0000_0064_6E75_6F72, 0, count: 5) { return (.round, 5) }
        case 0x73:  // s
            if self.spell(0x0000_0065_726F_6373, 0, count: 5) { return (.score, 5) }
            if self.spell(0x0000_0065_6C61_6373, 0, count: 5) { return (.scale, 5) }
            if self.spell(0x0000_7375_7461_7473, 0, count: 6) { return (.status, 6) }
        case 0x6D:  // m
            if self.spell(0x7869_665F_7473_756D, 0, count: 8) { return (.mustFix, 8) }
            if self.spell(0x0000_0000_656D_696D, 0, count: 4) { return (.mime, 4) }
            if self.spell(0x646E_756F_5278_616D, 0x73, count: 9) { return (.maxRounds, 9) }
        case 0x63:  // c
            if self.spell(0x7469_736F_706D_6F63, 0x65, count: 9) { return (.composite, 9) }
        case 0x64:  // d
            if self.spell(0x6E6F_6973_6963_6564, 0, count: 8) { return (.decision, 8) }
        case 0x76:  // v
            if self.spell(0x006E_6F69_7372_6576, 0, count: 7) { return (.version, 7) }
        case 0x74:  // t
            if self.spell(0x6C6F_6873_6572_6874, 0x64, count: 9) { return (.threshold, 9) }
        default:
            break
        }
        return nil
    }
}
