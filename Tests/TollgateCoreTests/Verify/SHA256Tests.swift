import Testing
import TollgateCore

/// SHA-256 against the test vectors of FIPS 180-4's examples (and NIST's long message), fed whole and in pieces.
struct SHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var message: String
        var digest: String
        var testDescription: String { message.count > 20 ? "\(message.prefix(20))… (\(message.count))" : message }
    }

    static let vectors = [
        Vector(message: "", digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(message: "abc", digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(
            message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        Vector(
            message: String(repeating: "a", count: 1_000_000),
            digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
        // 55, 56 and 64 bytes: the padding's three cases (length fits, just does not fit, a whole block); digests
        // from Python's hashlib.
        Vector(
            message: String(repeating: "x", count: 55),
            digest: "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"
        ),
        Vector(
            message: String(repeating: "x", count: 56),
            digest: "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"
        ),
        Vector(
            message: String(repeating: "x", count: 64),
            digest: "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"
        ),
    ]

    @Test(arguments: vectors)
    func digestsMatchTheStandardsVectors(_ vector: Vector) async {
        #expect(SHA256.hex(of: vector.message.utf8) == vector.digest)
    }

    @Test(arguments: [1, 7, 63, 64, 65, 1000])
    func feedingInPiecesGivesTheSameDigest(_ piece: Int) async {
        let message = Array(String(repeating: "abcdefghij", count: 130).utf8)
        var hash = SHA256()
        var index = 0
        while index < message.count {
            hash.update(message[index..<min(index + piece, message.count)])
            index += piece
        }
        #expect(hash.finalHex() == SHA256.hex(of: message))
    }
}
