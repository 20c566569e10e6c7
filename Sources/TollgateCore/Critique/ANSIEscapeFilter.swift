import Foundation

/// Removes ANSI terminal escape sequences from a byte stream, one chunk at a time.
///
/// Critics are often CLIs that colour their output. The filter drops CSI sequences (`ESC [ … final`),
/// OSC and other string sequences (`ESC ] … BEL` or `ESC ] … ESC \`), and two-byte escapes, and keeps
/// its state across chunks, so a sequence split over two chunks is removed just the same.
///
/// States: `ground` (copying), `escape` (after ESC), `controlSequence` (CSI parameters),
/// `string` (OSC, DCS, SOS, PM, APC bodies), `intermediate` (ESC followed by 0x20–0x2F).
struct ANSIEscapeFilter: Sendable, Equatable {
    /// Longest escape sequence body the filter swallows before it gives up and copies bytes again.
    ///
    /// A real sequence is a few bytes; an OSC hyperlink may carry a URL. A runaway sequence must not
    /// hide the rest of the stream, so after this many bytes the filter returns to copying.
    static let maxSequenceBytes = 4096

    private enum State: Sendable, Equatable {
        case ground
        case escape
        case controlSequence
        case string(sawEscape: Bool)
        case intermediate
    }

    private var state: State = .ground
    private var sequenceBytes = 0

    /// Whether the filter is between sequences, so a chunk without ESC can be copied as it is.
    var isIdle: Bool { self.state == .ground }

    private static let escapeByte: UInt8 = 0x1B
    private static let bell: UInt8 = 0x07

    /// Appends `chunk` to `output` with escape sequences removed.
    ///
    /// Text between sequences is found with `memchr` and copied in one piece; only the bytes of the
    /// sequences themselves go through the state machine one by one.
    mutating func filter(_ chunk: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard let base = chunk.baseAddress else { return }
        var index = 0
        while index < chunk.count {
            if self.state == .ground {
                let rest = chunk.count - index
                let found = memchr(base + index, Int32(Self.escapeByte), rest)
                let stop = found.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? chunk.count
                output.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[index..<stop]))
                guard stop < chunk.count else { return }
                self.enter(.escape)
                index = stop + 1
                continue
            }
            self.step(chunk[index], into: &output)
            index += 1
        }
    }

    /// Feeds one byte to the state machine.
    private mutating func step(_ byte: UInt8, into output: inout [UInt8]) {
        switch self.state {
        case .ground:
            if byte == Self.escapeByte {
                self.enter(.escape)
            } else {
                output.append(byte)
            }
        case .escape:
            switch byte {
            case UInt8(ascii: "["): self.enter(.controlSequence)
            case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                self.enter(.string(sawEscape: false))
            case 0x20...0x2F: self.enter(.intermediate)
            case Self.escapeByte: self.enter(.escape)
            default: self.state = .ground  // a two-byte escape such as ESC c, or a stray ESC
            }
        case .controlSequence:
            if (0x40...0x7E).contains(byte) {
                self.state = .ground
            } else {
                self.count()
            }
        case .intermediate:
            if (0x30...0x7E).contains(byte) {
                self.state = .ground
            } else {
                self.count()
            }
        case .string(let sawEscape):
            if byte == Self.bell || (sawEscape && byte == UInt8(ascii: "\\")) {
                self.state = .ground
            } else {
                self.state = .string(sawEscape: byte == Self.escapeByte)
                self.count()
            }
        }
    }

    private mutating func enter(_ state: State) {
        self.state = state
        self.sequenceBytes = 0
    }

    private mutating func count() {
        self.sequenceBytes += 1
        if self.sequenceBytes > Self.maxSequenceBytes { self.state = .ground }
    }
}
