import Foundation

/// A streaming parser for a critic's stdout: bytes in, ``CritiqueEvent``s out.
///
/// It has the shape of a packet parser: ``append(_:)-(some Collection<UInt8>)`` hands it a chunk,
/// ``next()`` returns the next event or `nil` when it needs more input, and ``finish()`` flushes what
/// is left when the stream ends. The same stream yields the same events however it is split into chunks.
///
/// - ANSI escape sequences are removed before anything else, and every byte offset the parser reports
///   (in warnings and errors) counts the bytes that remain.
/// - Text before `<CRITIQUE_RUN>` and after `</CRITIQUE_RUN>` is ignored, as is text between tags.
/// - The `version` attribute of `<CRITIQUE_RUN>` picks the grammar (``CritiqueProtocol``).
/// - A fatal problem (``CritiqueParseError``) becomes one ``CritiqueEvent/degraded(_:)`` event; the
///   parser then ignores the rest of the stream.
///
/// Memory stays bounded: the parser holds at most one block (`<PANELIST>`, `<ROUND_END>` or `<SHIP>`,
/// tags included) or one tag of up to ``Options/maxBlockBytes`` bytes, plus the chunk being parsed.
/// `<CRITIQUE_RUN>` and `<ROUND>` are containers whose contents stream through.
///
/// States: awaiting the run, inside the run (reading markup, text or a CDATA section), ended, failed.
public struct CritiqueParser: Sendable {
    /// The default limit on one block, 256 KiB: room for a large artifact, small enough for any machine.
    public static let defaultMaxBlockBytes = 262_144

    /// How many consumed bytes may sit at the front of the buffer before it is compacted.
    ///
    /// Dropping consumed bytes copies the rest of the buffer, so it is done in batches of this size.
    static let compactionThreshold = 64 * 1024

    /// Longest name compared with the protocol's tag names inside text; a longer name is plain text.
    static let maxTagNameBytes = 64

    /// What the parser needs to know beyond the stream itself.
    public struct Options: Sendable, Equatable {
        /// The most bytes one block or one tag may take (``CritiqueConfig/parserMaxBlockBytes``).
        public var maxBlockBytes: Int
        /// The panel's roles; a `<PANELIST>` with any other role is dropped with a warning.
        public var roles: [PanelistRole]
        /// The top of the score range; scores are clamped to `0...scale`.
        public var scale: Double

        /// Creates options.
        public init(
            maxBlockBytes: Int = CritiqueParser.defaultMaxBlockBytes,
            roles: [PanelistRole] = PanelistRole.standardPanel,
            scale: Double = 10
        ) {
            self.maxBlockBytes = maxBlockBytes
            self.roles = roles
            self.scale = scale
        }

        /// The options a configuration implies.
        public init(_ config: CritiqueConfig) {
            self.init(maxBlockBytes: config.parserMaxBlockBytes, roles: config.panel, scale: config.scale)
        }
    }

    private enum Phase: Sendable {
        case awaitingRun
        case running
        case ended
        case failed
    }

    /// The text element being read: its name and where it stands.
    ///
    /// Its bytes are in ``ContentText``, kept outside so their storage is reused from one element to the next.
    private struct Content: Sendable {
        var name: MarkupTag.Name
        var cdataAllowed: Bool
        var position: Int
        var inCDATA = false
    }

    /// The bytes of the open text element, as a run of text and CDATA parts.
    private struct ContentText: Sendable {
        /// The parts' bytes, back to back.
        var bytes: [UInt8] = []
        /// Each part's kind and the index in `bytes` where it ends; neighbouring parts differ in kind.
        var parts: [Part] = []

        struct Part: Sendable {
            var isCDATA: Bool
            var end: Int
        }

        mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, cdata: Bool) {
            guard !chunk.isEmpty else { return }
            self.bytes.append(contentsOf: chunk)
            if let last = self.parts.indices.last, self.parts[last].isCDATA == cdata {
                self.parts[last].end = self.bytes.count
            } else {
                self.parts.append(Part(isCDATA: cdata, end: self.bytes.count))
            }
        }

        /// Forgets the element, keeping the storage.
        mutating func clear() {
            guard !self.bytes.isEmpty else { return }
            self.bytes.removeAll(keepingCapacity: true)
            self.parts.removeAll(keepingCapacity: true)
        }

        /// The value of an element whose whole content is `text`, without copying it first.
        static func value(ofText text: UnsafeBufferPointer<UInt8>) -> String {
            var start = 0
            var end = text.count
            while start < end, MarkupTag.isSpace(text[start]) { start += 1 }
            while end > start, MarkupTag.isSpace(text[end - 1]) { end -= 1 }
            return MarkupTag.decodedString(UnsafeBufferPointer(rebasing: text[start..<end]))
        }

        /// The element's value: CDATA verbatim with blank text around it dropped, or the trimmed text.
        var value: String {
            self.bytes.withUnsafeBufferPointer { bytes in
                // Without CDATA the element is one text part.
                guard self.parts.contains(where: { $0.isCDATA }) else { return Self.value(ofText: bytes) }
                var value = ""
                var start = 0
                for part in self.parts {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<part.end])
                    if part.isCDATA {
                        value += String(decoding: slice, as: UTF8.self)
                    } else if !slice.allSatisfy(MarkupTag.isSpace) {
                        value += MarkupTag.decodedString(slice)
                    }
                    start = part.end
                }
                return value
            }
        }
    }

    /// A tag whose closing `>` has not arrived yet; offsets are absolute.
    private struct TagScan: Sendable {
        var start: Int
        var next: Int
        var quote: UInt8?
    }

    private enum Step {
        case progress
        case needMore
    }

    /// A block being read (`<PANELIST>`, `<ROUND_END>`, `<SHIP>`): its name and the absolute offset of its `<`.
    private struct OpenBlock: Sendable {
        var name: MarkupTag.Name
        var position: Int

        /// Fails when the block would reach the absolute offset `end` with more than `limit` bytes.
        func check(through end: Int, limit: Int) throws(CritiqueParseError) {
            if end - self.position > limit {
                throw CritiqueParseError(
                    .oversizeBlock,
                    position: self.position,
                    detail: "<\(self.name.text)> is longer than \(limit) bytes"
                )
            }
        }
    }

    private let options: Options
    private var filter = ANSIEscapeFilter()
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The absolute offset of `buffer[0]` in the filtered stream.
    private var base = 0
    private var phase: Phase = .awaitingRun
    /// The v1 grammar, set once the stream announced version 1; a later version gets its own property,
    /// and the `switch`es on ``protocolVersion`` below pick the one in use. (Kept as an optional
    /// property rather than an enum payload so the grammar is changed in place, without copies.)
    private var grammarV1: CritiqueGrammarV1?
    private var content: Content?
    private var contentText = ContentText()
    private var tagScan: TagScan?
    /// The open block, if any.
    private var block: OpenBlock?
    private var queue: [CritiqueEvent] = []
    private var queueHead = 0
    private var atEnd = false

    /// Creates a parser.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// The protocol version of the stream, once `<CRITIQUE_RUN>` has been read.
    public private(set) var protocolVersion: CritiqueProtocol?

    /// How many bytes the parser holds right now: unparsed input plus the open text element.
    public var bufferedByteCount: Int {
        (self.buffer.count - self.readIndex) + (self.content == nil ? 0 : self.contentText.bytes.count)
    }

    // MARK: - Input

    /// Appends a chunk of the critic's stdout.
    public mutating func append(_ chunk: some Collection<UInt8>) {
        guard self.phase == .awaitingRun || self.phase == .running, !self.atEnd else { return }
        // Work on contiguous bytes: generic iteration across the module boundary is slow.
        let appended: Void? = chunk.withContiguousStorageIfAvailable { bytes in self.appendBytes(bytes) }
        if appended == nil {
            Array(chunk).withUnsafeBufferPointer { bytes in self.appendBytes(bytes) }
        }
    }

    private mutating func appendBytes(_ chunk: UnsafeBufferPointer<UInt8>) {
        self.compactIfNeeded()
        if self.filter.isIdle, !Self.contains(0x1B, in: chunk) {
            self.buffer.append(contentsOf: chunk)
        } else {
            self.filter.filter(chunk, into: &self.buffer)
        }
    }

    /// Appends a chunk of the critic's stdout given as text.
    public mutating func append(_ text: String) {
        self.append(text.utf8)
    }

    /// Returns the next event, or `nil` when the parser needs more input (or the stream has ended).
    public mutating func next() -> CritiqueEvent? {
        while self.queueHead == self.queue.count {
            if !self.queue.isEmpty { self.queue.removeAll(keepingCapacity: true) }
            self.queueHead = 0
            guard self.phase == .awaitingRun || self.phase == .running else { return nil }
            if case .needMore = self.step() {
                guard self.atEnd else { return nil }
                self.streamEnded()
            }
        }
        // Move the event out, leaving a placeholder that costs nothing to drop: a copy would retain
        // its strings here and release them again when the queue is emptied.
        var event = CritiqueEvent.runFinished
        swap(&event, &self.queue[self.queueHead])
        self.queueHead += 1
        return event
    }

    /// Marks the end of the stream and returns every event still to come.
    ///
    /// A stream that ends inside an element, or that never opened `<CRITIQUE_RUN>`, ends with a
    /// ``CritiqueEvent/degraded(_:)`` event.
    public mutating func finish() -> [CritiqueEvent] {
        self.atEnd = true
        var events: [CritiqueEvent] = []
        while let event = self.next() { events.append(event) }
        return events
    }

    /// Parses a whole stream at once; the same as one `append` followed by `finish`.
    public static func events(in text: String, options: Options = Options()) -> [CritiqueEvent] {
        var parser = CritiqueParser(options: options)
        parser.append(text)
        return parser.finish()
    }

    // MARK: - Lexing

    private mutating func step() -> Step {
        do throws(CritiqueParseError) {
            if self.tagScan != nil { return try self.continueTag() }
            if let content = self.content {
                return content.inCDATA ? try self.stepCDATA() : try self.stepContent()
            }
            return self.phase == .awaitingRun ? try self.stepAwaitingRun() : try self.stepMarkup()
        } catch {
            self.fail(error)
            return .progress
        }
    }

    private mutating func streamEnded() {
        switch self.phase {
        case .awaitingRun:
            self.fail(CritiqueParseError(.missingRun, detail: "the stream ended without <CRITIQUE_RUN>"))
        case .running:
            let name = self.content?.name.text ?? self.block?.name.text ?? self.openName
            let position = self.tagScan?.start ?? self.content?.position ?? self.block?.position
            let detail =
                self.tagScan != nil
                ? "the stream ended inside a tag" : "the stream ended before </\(name)>"
            self.fail(CritiqueParseError(.malformedBlock, position: position, detail: detail))
        case .ended, .failed:
            break
        }
    }

    /// Before the run: skip everything up to `<CRITIQUE_RUN`.
    private mutating func stepAwaitingRun() throws(CritiqueParseError) -> Step {
        guard let lt = Self.firstIndex(of: UInt8(ascii: "<"), in: self.buffer, from: self.readIndex) else {
            self.readIndex = self.buffer.count
            return .needMore
        }
        self.readIndex = lt
        let pattern = Self.runOpenBytes
        let available = self.buffer.count - lt
        let compared = min(available, pattern.count)
        guard self.buffer[lt..<(lt + compared)].elementsEqual(pattern[0..<compared]) else {
            self.readIndex = lt + 1
            return .progress
        }
        guard available > pattern.count else { return self.atEnd ? self.skipByte() : .needMore }
        let after = self.buffer[lt + pattern.count]
        guard MarkupTag.isSpace(after) || after == UInt8(ascii: ">") || after == UInt8(ascii: "/") else {
            self.readIndex = lt + 1
            return .progress
        }
        self.tagScan = TagScan(start: self.base + lt, next: self.base + lt + 1, quote: nil)
        return .progress
    }

    private static let runOpenBytes = Array("<CRITIQUE_RUN".utf8)
    private static let cdataOpenBytes = Array("<![CDATA[".utf8)

    private mutating func skipByte() -> Step {
        self.readIndex += 1
        return .progress
    }

    /// Inside the run, between tags: find the next tag; text here is ignored.
    ///
    /// Reads a run of whole tags in one step: after a tag, it goes on to the next one for as long as
    /// the next step would be this one again (still between tags, no event waiting), which is what
    /// ``next()`` would do, without going back through it.
    private mutating func stepMarkup() throws(CritiqueParseError) -> Step {
        while true {
            let step = try self.markupOnce()
            guard case .progress = step, self.phase == .running, self.content == nil, self.tagScan == nil,
                self.queueHead == self.queue.count
            else { return step }
        }
    }

    /// One step of ``stepMarkup()``: the next tag, or the text before it.
    private mutating func markupOnce() throws(CritiqueParseError) -> Step {
        let limit = self.options.maxBlockBytes
        let lt: Int
        if self.readIndex < self.buffer.count, self.buffer[self.readIndex] == UInt8(ascii: "<") {
            lt = self.readIndex  // a tag right after the last one: no search
        } else if let found = Self.firstIndex(of: UInt8(ascii: "<"), in: self.buffer, from: self.readIndex) {
            lt = found
        } else {
            try self.block?.check(through: self.base + self.buffer.count, limit: limit)
            self.readIndex = self.buffer.count
            return .needMore
        }
        self.readIndex = lt
        if lt + 1 < self.buffer.count {
            let second = self.buffer[lt + 1]
            if second == UInt8(ascii: "/") || MarkupTag.isNameStart(second) {
                // The common case: the whole tag is in the buffer and reads in one pass. Anything else
                // (a tag cut by the chunk's end, a syntax error) goes through the resumable scan, which
                // reports it exactly as before.
                var tag = MarkupTag(name: .other, position: self.base + lt)
                let parsed = self.buffer.withUnsafeBufferPointer { bytes in
                    MarkupTag.parse(bytes, from: lt, limit: bytes.count, into: &tag)
                }
                if case .closed(let close) = parsed {
                    let end = close + 1
                    // One test for the usual case, where no limit is reached; the checks run one by one,
                    // in their usual order, only when some limit is.
                    if end - lt > limit || (self.block.map { self.base + end - $0.position > limit } ?? false) {
                        try self.block?.check(through: self.base + lt, limit: limit)
                        try Self.checkTag(
                            from: self.base + lt,
                            through: self.base + end,
                            block: self.block,
                            limit: limit
                        )
                    }
                    self.readIndex = end
                    try self.handle(tag)
                    return .progress
                }
                try self.block?.check(through: self.base + lt, limit: limit)
                self.tagScan = TagScan(start: self.base + lt, next: self.base + lt + 1, quote: nil)
                return .progress
            }
        }
        try self.block?.check(through: self.base + lt, limit: limit)
        guard lt + 1 < self.buffer.count else { return self.atEnd ? self.skipByte() : .needMore }
        let second = self.buffer[lt + 1]
        if second == UInt8(ascii: "!") {
            switch Self.match(Self.cdataOpenBytes, in: self.buffer, at: lt) {
            case .partial: return self.atEnd ? self.skipByte() : .needMore
            case .full:
                throw CritiqueParseError(
                    .cdataOutOfPlace,
                    position: self.base + lt,
                    detail: "a CDATA section inside <\(self.openName)>; CDATA belongs in <ARTIFACT> or <NOTES>"
                )
            case .none:
                throw CritiqueParseError(
                    .malformedBlock,
                    position: self.base + lt,
                    detail: "unexpected \"<!\" inside <\(self.openName)>"
                )
            }
        }
        return self.skipByte()  // a lone "<" in chatter between tags
    }

    /// Scans a tag for its closing `>` (outside quotes), resuming where the last call stopped.
    private mutating func continueTag() throws(CritiqueParseError) -> Step {
        guard var scan = self.tagScan else { preconditionFailure("Invalid state: no tag being scanned") }
        var index = scan.next - self.base
        let end = self.buffer.count
        var found: Int?
        self.buffer.withUnsafeBufferPointer { bytes in
            while index < end {
                if let quote = scan.quote {
                    // Inside a quoted value only the closing quote matters.
                    while index < end, bytes[index] != quote { index += 1 }
                    if index < end {
                        scan.quote = nil
                        index += 1
                    }
                    continue
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: ">") {
                    found = index
                    break
                }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { scan.quote = byte }
                index += 1
            }
        }
        try Self.checkTag(
            from: scan.start,
            through: self.base + (found.map { $0 + 1 } ?? index),
            block: self.block,
            limit: self.options.maxBlockBytes
        )
        guard let close = found else {
            scan.next = self.base + index
            self.tagScan = scan
            return .needMore
        }
        self.tagScan = nil
        let start = scan.start - self.base
        var tag = MarkupTag(name: .other, position: scan.start)
        let parsed = self.buffer.withUnsafeBufferPointer { bytes in
            MarkupTag.parse(bytes, from: start, limit: close + 1, into: &tag)
        }
        self.readIndex = close + 1
        guard case .closed(close) = parsed else {
            let text = String(decoding: self.buffer[start...min(close, start + 80)], as: UTF8.self)
            throw CritiqueParseError(.malformedBlock, position: scan.start, detail: "malformed tag \(text)")
        }
        try self.handle(tag)
        return .progress
    }

    /// Fails when a tag from the absolute offset `start` to `end` is longer than the block limit, or
    /// makes the open block so.
    ///
    /// Static, and given what it reads, so that the call does not copy the parser.
    private static func checkTag(
        from start: Int,
        through end: Int,
        block: OpenBlock?,
        limit: Int
    ) throws(CritiqueParseError) {
        if end - start > limit {
            throw CritiqueParseError(.oversizeBlock, position: start, detail: "a tag longer than \(limit) bytes")
        }
        try block?.check(through: end, limit: limit)
    }

    /// Inside a text element: collect text until `</NAME>`, a CDATA section or a stray protocol tag.
    private mutating func stepContent() throws(CritiqueParseError) -> Step {
        let start = self.readIndex
        let lt = Self.firstIndex(of: UInt8(ascii: "<"), in: self.buffer, from: start) ?? self.buffer.count
        try self.block?.check(through: self.base + lt, limit: self.options.maxBlockBytes)
        guard let content = self.content else { preconditionFailure("Invalid state: no text element") }
        let token =
            lt < self.buffer.count
            ? Self.classifyInContent(in: self.buffer, at: lt, content: content, version: self.protocolVersion)
            : .needMore
        if case .close(let end) = token, self.contentText.bytes.isEmpty {
            // The common case: the whole element is in the buffer, so its value is read in place.
            try self.block?.check(through: self.base + end, limit: self.options.maxBlockBytes)
            self.readIndex = end
            self.content = nil
            let value = self.buffer.withUnsafeBufferPointer {
                ContentText.value(ofText: UnsafeBufferPointer(rebasing: $0[start..<lt]))
            }
            try self.grammarTextClosed(content.name, value: value, at: content.position)
            return .progress
        }
        if case .cdata = token, content.cdataAllowed, self.contentText.bytes.isEmpty,
            let whole = Self.elementWithCDATA(
                in: self.buffer,
                textStart: start,
                cdataAt: lt,
                content: content,
                version: self.protocolVersion
            )
        {
            // An element whose text and CDATA section are all in the buffer is read in place too. The
            // block checks the slow path makes on the way all raise the same error, so one at the end
            // stands for them.
            try self.block?.check(through: self.base + whole.end, limit: self.options.maxBlockBytes)
            self.readIndex = whole.end
            self.content = nil
            try self.grammarTextClosed(content.name, value: whole.value, at: content.position)
            return .progress
        }
        self.buffer.withUnsafeBufferPointer {
            self.contentText.append(UnsafeBufferPointer(rebasing: $0[start..<lt]), cdata: false)
        }
        self.readIndex = lt
        guard lt < self.buffer.count else { return .needMore }
        switch token {
        case .needMore:
            return self.atEnd ? self.literalLessThan(at: lt) : .needMore
        case .literal:
            return self.literalLessThan(at: lt)
        case .cdata:
            guard content.cdataAllowed else {
                throw CritiqueParseError(
                    .cdataOutOfPlace,
                    position: self.base + lt,
                    detail: "a CDATA section inside <\(content.name.text)>; CDATA belongs in <ARTIFACT> or <NOTES>"
                )
            }
            try self.block?.check(
                through: self.base + (lt + Self.cdataOpenBytes.count),
                limit: self.options.maxBlockBytes
            )
            self.readIndex = lt + Self.cdataOpenBytes.count
            self.content?.inCDATA = true
            return .progress
        case .close(let end):
            try self.block?.check(through: self.base + end, limit: self.options.maxBlockBytes)
            self.readIndex = end
            self.content = nil
            let value = self.contentText.value
            self.contentText.clear()
            try self.grammarTextClosed(content.name, value: value, at: content.position)
            return .progress
        case .stray(let name, let isClose):
            let found = isClose ? "</\(name)>" : "<\(name)>"
            throw CritiqueParseError(
                .malformedBlock,
                position: self.base + lt,
                detail: "\(found) inside <\(content.name.text)>; it was never closed"
            )
        }
    }

    private mutating func literalLessThan(at lt: Int) -> Step {
        self.buffer.withUnsafeBufferPointer {
            self.contentText.append(UnsafeBufferPointer(rebasing: $0[lt..<(lt + 1)]), cdata: false)
        }
        self.readIndex = lt + 1
        return .progress
    }

    /// Inside a CDATA section: collect bytes until `]]>`.
    private mutating func stepCDATA() throws(CritiqueParseError) -> Step {
        let start = self.readIndex
        let end = self.buffer.count
        let search = Self.cdataTerminator(in: self.buffer, from: start)
        let contentEnd: Int
        if let terminator = search.terminator {
            contentEnd = terminator
        } else {
            // Keep a possible "]]" at the end of the buffer until the next byte tells what it is.
            contentEnd = max(start, min(search.stop, end - 2))
        }
        try self.block?.check(
            through: self.base + (search.terminator.map { $0 + 3 } ?? end),
            limit: self.options.maxBlockBytes
        )
        self.buffer.withUnsafeBufferPointer {
            self.contentText.append(UnsafeBufferPointer(rebasing: $0[start..<contentEnd]), cdata: true)
        }
        if let terminator = search.terminator {
            self.readIndex = terminator + 3
            self.content?.inCDATA = false
            return .progress
        }
        self.readIndex = contentEnd
        return .needMore
    }

    /// Where the `]]>` that ends a CDATA section whose content starts at `start` is, if the buffer
    /// holds it; else `stop`, where the search stopped (the buffer's end, or a `]` too near it to tell).
    private static func cdataTerminator(in buffer: [UInt8], from start: Int) -> (terminator: Int?, stop: Int) {
        let end = buffer.count
        var index = start
        while let bracket = Self.firstIndex(of: UInt8(ascii: "]"), in: buffer, from: index) {
            if bracket + 2 >= end { return (nil, bracket) }
            if buffer[bracket + 1] == UInt8(ascii: "]") && buffer[bracket + 2] == UInt8(ascii: ">") {
                return (bracket, bracket)
            }
            index = bracket + 1
        }
        return (nil, index)
    }

    /// The value and end of a text element that holds a non-empty CDATA section at `lt` and is whole in
    /// the buffer, its text starting at `textStart`: what collecting its parts would give (each text
    /// part that is not blank decoded, the CDATA verbatim), or `nil` when it is not that simple.
    ///
    /// An empty section is left to the slow path: there the text on both sides of it joins into one part.
    private static func elementWithCDATA(
        in buffer: [UInt8],
        textStart: Int,
        cdataAt lt: Int,
        content: Content,
        version: CritiqueProtocol?
    ) -> (end: Int, value: String)? {
        let cdataStart = lt + Self.cdataOpenBytes.count
        guard let terminator = Self.cdataTerminator(in: buffer, from: cdataStart).terminator,
            terminator > cdataStart
        else { return nil }
        let after = terminator + 3
        guard let next = Self.firstIndex(of: UInt8(ascii: "<"), in: buffer, from: after),
            case .close(let end) = Self.classifyInContent(in: buffer, at: next, content: content, version: version)
        else { return nil }
        let value = buffer.withUnsafeBufferPointer { bytes in
            var value = ""
            let before = UnsafeBufferPointer(rebasing: bytes[textStart..<lt])
            if !before.allSatisfy(MarkupTag.isSpace) { value += MarkupTag.decodedString(before) }
            value += String(decoding: UnsafeBufferPointer(rebasing: bytes[cdataStart..<terminator]), as: UTF8.self)
            let trailing = UnsafeBufferPointer(rebasing: bytes[after..<next])
            if !trailing.allSatisfy(MarkupTag.isSpace) { value += MarkupTag.decodedString(trailing) }
            return value
        }
        return (end, value)
    }

    // MARK: - Tags

    private mutating func handle(_ tag: MarkupTag) throws(CritiqueParseError) {
        if self.phase == .awaitingRun {
            try self.openRun(tag)
            return
        }
        if tag.isClose {
            try self.close(tag)
            return
        }
        try self.grammarOpened(tag)
        if Self.isBlock(tag.name, version: self.protocolVersion) {
            self.block = OpenBlock(name: tag.name, position: tag.position)
        }
        if tag.isSelfClosing {
            if Self.textElement(tag.name, version: self.protocolVersion) != nil {
                try self.grammarTextClosed(tag.name, value: "", at: tag.position)
            } else {
                try self.close(MarkupTag(name: tag.name, isClose: true, position: tag.position))
            }
        } else if let cdataAllowed = Self.textElement(tag.name, version: self.protocolVersion) {
            self.contentText.clear()
            self.content = Content(name: tag.name, cdataAllowed: cdataAllowed, position: tag.position)
        }
    }

    private mutating func close(_ tag: MarkupTag) throws(CritiqueParseError) {
        let runEnded = try self.grammarClosed(tag)
        if self.block?.name == tag.name { self.block = nil }
        if runEnded {
            self.phase = .ended
            self.buffer.removeAll()
            self.readIndex = 0
        }
    }

    private mutating func openRun(_ tag: MarkupTag) throws(CritiqueParseError) {
        var version = CritiqueProtocol.v1
        let values = MarkupAttributeValues(bytes: self.buffer)
        if let raw = values.string(tag.attributes.version) {
            guard let known = CritiqueProtocol(attribute: raw) else {
                throw CritiqueParseError(
                    .unsupportedVersion,
                    position: tag.position,
                    detail: "protocol version \"\(raw)\" is not supported (supported: "
                        + CritiqueProtocol.allCases.map { String($0.rawValue) }.joined(separator: ", ") + ")"
                )
            }
            version = known
        } else {
            self.queue.append(
                .warning(
                    CritiqueWarning(
                        .versionMissing,
                        position: tag.position,
                        detail: "<CRITIQUE_RUN> has no version; 1 assumed"
                    )
                )
            )
        }
        self.protocolVersion = version
        switch version {
        case .v1:
            self.grammarV1 = CritiqueGrammarV1(roles: self.options.roles, scale: self.options.scale, runTag: tag)
        }
        self.phase = .running
        self.queue.append(
            .runStarted(
                CritiqueEvent.RunStart(
                    version: version.rawValue,
                    maxRounds: values.integer(tag.attributes.maxRounds),
                    threshold: values.string(tag.attributes.threshold).flatMap { Double($0) },
                    scale: values.string(tag.attributes.scale).flatMap { Double($0) }
                )
            )
        )
        if tag.isSelfClosing {
            try self.close(MarkupTag(name: tag.name, isClose: true, position: tag.position))
        }
    }

    // MARK: - Dispatch on the protocol version

    private var version: CritiqueProtocol {
        guard let version = self.protocolVersion else {
            preconditionFailure("Invalid state: no version inside the run")
        }
        return version
    }

    private static func textElement(_ name: MarkupTag.Name, version: CritiqueProtocol?) -> Bool? {
        switch version {
        case .v1: CritiqueGrammarV1.textElement(name)
        case nil: preconditionFailure("Invalid state: no version inside the run")
        }
    }

    private static func isBlock(_ name: MarkupTag.Name, version: CritiqueProtocol?) -> Bool {
        switch version {
        case .v1: CritiqueGrammarV1.isBlock(name)
        case nil: preconditionFailure("Invalid state: no version inside the run")
        }
    }

    private static func isKnownTag(_ name: MarkupTag.Name, version: CritiqueProtocol?) -> Bool {
        switch version {
        case .v1: CritiqueGrammarV1.isKnown(name)
        case nil: preconditionFailure("Invalid state: no version inside the run")
        }
    }

    private var openName: String {
        switch self.protocolVersion {
        case .v1: self.grammarV1?.innermostName ?? "CRITIQUE_RUN"
        case nil: "CRITIQUE_RUN"
        }
    }

    private mutating func grammarOpened(_ tag: MarkupTag) throws(CritiqueParseError) {
        switch self.version {
        case .v1: try self.grammarV1?.opened(tag, bytes: self.buffer, into: &self.queue)
        }
    }

    private mutating func grammarTextClosed(_ name: MarkupTag.Name, value: String, at position: Int)
        throws(CritiqueParseError)
    {
        switch self.version {
        case .v1: try self.grammarV1?.textClosed(name, value: value, at: position)
        }
    }

    /// Hands a closing tag to the grammar; returns whether it ended the run.
    private mutating func grammarClosed(_ tag: MarkupTag) throws(CritiqueParseError) -> Bool {
        switch self.version {
        case .v1: try self.grammarV1?.closed(tag, into: &self.queue) ?? false
        }
    }

    // MARK: - Helpers

    private mutating func fail(_ error: CritiqueParseError) {
        self.phase = .failed
        self.queue.append(.degraded(error))
        self.buffer.removeAll()
        self.readIndex = 0
        self.content = nil
        self.contentText = ContentText()
        self.tagScan = nil
        self.block = nil
    }

    // The helpers below are static and take what they read, so that calling them does not copy the
    // parser (an unoptimised build copies `self` for every non-mutating method call).

    private static func firstIndex(of byte: UInt8, in buffer: [UInt8], from start: Int) -> Int? {
        buffer.withUnsafeBufferPointer { pointer in
            guard start < pointer.count, let base = pointer.baseAddress,
                let found = memchr(base + start, Int32(byte), pointer.count - start)
            else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    private static func contains(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return memchr(base, Int32(byte), bytes.count) != nil
    }

    private enum Match {
        case none
        case partial
        case full
    }

    private static func match(_ pattern: [UInt8], in buffer: [UInt8], at index: Int) -> Match {
        let available = min(buffer.count - index, pattern.count)
        guard buffer[index..<(index + available)].elementsEqual(pattern[0..<available]) else { return .none }
        return available == pattern.count ? .full : .partial
    }

    private enum ContentToken {
        case needMore
        case literal
        case cdata
        case close(end: Int)
        case stray(name: String, isClose: Bool)
    }

    /// Decides what a `<` inside a text element starts.
    private static func classifyInContent(
        in buffer: [UInt8],
        at lt: Int,
        content: Content,
        version: CritiqueProtocol?
    ) -> ContentToken {
        let end = buffer.count
        guard lt + 1 < end else { return .needMore }
        let second = buffer[lt + 1]
        if second == UInt8(ascii: "!") {
            switch Self.match(Self.cdataOpenBytes, in: buffer, at: lt) {
            case .none: return .literal
            case .partial: return .needMore
            case .full: return .cdata
            }
        }
        let isClose = second == UInt8(ascii: "/")
        let nameStart = lt + (isClose ? 2 : 1)
        var index = nameStart
        let known: MarkupTag.Name
        let word = buffer.withUnsafeBufferPointer { MarkupNameWords($0, at: nameStart, limit: end)?.tagName }
        if let word {
            // A protocol name read a word at a time (its run of name bytes ends with it).
            known = word.name
            index = nameStart + word.count
        } else {
            while index < end, MarkupTag.isNameByte(buffer[index]) {
                index += 1
                if index - nameStart > Self.maxTagNameBytes { return .literal }
            }
            guard index < end else { return .needMore }
            guard index > nameStart else { return .literal }
            known = buffer[nameStart..<index].withUnsafeBufferPointer { MarkupTag.Name($0) }
        }
        if isClose && known == content.name {
            var close = index
            while close < end, MarkupTag.isSpace(buffer[close]) { close += 1 }
            guard close < end else { return .needMore }
            return buffer[close] == UInt8(ascii: ">") ? .close(end: close + 1) : .literal
        }
        let after = buffer[index]
        let delimits =
            MarkupTag.isSpace(after) || after == UInt8(ascii: ">") || (!isClose && after == UInt8(ascii: "/"))
        guard delimits, Self.isKnownTag(known, version: version) else { return .literal }
        return .stray(name: known.text, isClose: isClose)
    }

    private mutating func compactIfNeeded() {
        guard self.readIndex > Self.compactionThreshold, self.readIndex * 2 > self.buffer.count else { return }
        self.buffer.removeSubrange(0..<self.readIndex)
        self.base += self.readIndex
        self.readIndex = 0
    }
}
