internal import CGit2

/// A git object id: 40 lowercase hexadecimal characters (SHA-1).
///
/// Encodes and decodes as a plain JSON string.
public struct OID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The id as 40 lowercase hexadecimal characters.
    public let hex: String

    /// Creates an id from 40 hexadecimal characters (either case); nil for anything else.
    public init?(hex: String) {
        let utf8 = hex.utf8
        guard utf8.count == 40, utf8.allSatisfy(Self.isHexDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let oid = OID(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected 40 hexadecimal characters, got \"\(text)\""
            )
        }
        self = oid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }
}

// MARK: - Conversion to and from libgit2

extension OID {
    /// Copies a libgit2 id.
    init(_ raw: git_oid) {
        let digits = Array("0123456789abcdef".utf8)
        var raw = raw
        self.hex = withUnsafeBytes(of: &raw.id) { bytes in
            String(unsafeUninitializedCapacity: 40) { buffer in
                for (index, byte) in bytes.prefix(20).enumerated() {
                    buffer[2 * index] = digits[Int(byte >> 4)]
                    buffer[2 * index + 1] = digits[Int(byte & 0x0f)]
                }
                return 40
            }
        }
    }

    /// Copies a libgit2 id from a pointer that libgit2 owns.
    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The libgit2 form of this id.
    var raw: git_oid {
        var raw = git_oid()
        // `hex` holds exactly 40 hexadecimal digits (checked by the initializer), so parsing cannot fail.
        _ = git_oid_fromstrn(&raw, hex, 40)
        return raw
    }
}
