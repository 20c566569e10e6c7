/// A node of the YAML subset that plans are written in: a scalar, a sequence or a mapping, each with the line and
/// column where it starts (1-based).
public indirect enum YAMLNode: Sendable, Equatable {
    case scalar(String, quoted: Bool, at: SourcePosition)
    case sequence([YAMLNode], at: SourcePosition)
    case mapping([YAMLEntry], at: SourcePosition)

    /// Where the node starts.
    public var position: SourcePosition {
        switch self {
        case .scalar(_, _, let position), .sequence(_, let position), .mapping(_, let position): position
        }
    }

    /// What the node is, as an error message names it ("a list", "a mapping", "a value").
    public var kindDescription: String {
        switch self {
        case .scalar: "a value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// One `key: value` pair of a mapping, with the key's position.
public struct YAMLEntry: Sendable, Equatable {
    public var key: String
    public var keyPosition: SourcePosition
    public var value: YAMLNode

    public init(key: String, keyPosition: SourcePosition, value: YAMLNode) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// A line and a column, both counted from 1; columns count characters, not bytes.
public struct SourcePosition: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A strict reader of the YAML subset of DESIGN §10, for `todos.yaml`.
///
/// What it reads: block mappings (`key: value`) and block sequences (`- item`, also at the indentation of the key
/// that holds them), flow sequences of scalars on one line (`[a, "b c"]`), plain, single-quoted and double-quoted
/// scalars on one line, literal (`|`) and folded (`>`) block scalars with the chomping indicators `-` and `+`,
/// comments (`#` at the start of a line or after a space), blank lines, and one leading `---`. Everything else
/// (tabs in indentation, anchors `&`, aliases `*`, tags `!`, flow mappings `{…}`, directives `%`, several
/// documents, multi-line plain or quoted scalars, complex keys `?`) is an error that names the line, the column and
/// what is allowed instead. Keys are unique in a mapping. Values stay strings: the plan decides what is a number.
///
/// No YAML package is allowed (DESIGN, "Fixed by the user"), and a plan is small, so the reader is written for
/// clear errors rather than speed: one pass over the lines, recursive on indentation.
public struct YAMLSubsetReader {
    /// The deepest nesting accepted, so a hostile file cannot exhaust the stack (a plan needs 4).
    public static let maximumDepth = 32

    private struct Line {
        var number: Int
        var indent: Int
        /// The line's characters after the indentation, comments not yet removed.
        var text: Substring
        var raw: Substring
        var isBlank: Bool
    }

    /// The document's lines; a compact list item's line is rewritten in place to start at the item's content.
    private var lines: [Line]
    private var index = 0

    private init(lines: [Line]) {
        self.lines = lines
    }

    /// Reads `text` as one document of the subset.
    ///
    /// - Returns: the document's root, or `nil` for an empty document (only comments or blank lines).
    public static func read(_ text: String) throws(PlanError) -> YAMLNode? {
        var reader = try YAMLSubsetReader(lines: Self.split(text))
        return try reader.document()
    }

    // MARK: - Lines

    private static func split(_ text: String) throws(PlanError) -> [Line] {
        if text.hasPrefix("\u{FEFF}") { return try split(String(text.dropFirst())) }
        var result: [Line] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            var indent = 0
            var rest = line[...]
            while let first = rest.first, first == " " {
                indent += 1
                rest = rest.dropFirst()
            }
            let isBlank = rest.allSatisfy { $0 == " " || $0 == "\t" } || rest.first == "#"
            if rest.first == "\t" && !isBlank {
                throw PlanError(
                    line: number,
                    column: indent + 1,
                    message: "a tab in the indentation; YAML indents with spaces only"
                )
            }
            result.append(Line(number: number, indent: indent, text: rest, raw: line, isBlank: isBlank))
        }
        return result
    }

    private mutating func skipBlank() {
        while index < lines.count, lines[index].isBlank { index += 1 }
    }

    private var current: Line? {
        index < lines.count ? lines[index] : nil
    }

    // MARK: - Document

    private mutating func document() throws(PlanError) -> YAMLNode? {
        skipBlank()
        if let line = current, line.indent == 0, Self.isDocumentMarker(line.text, "---") {
            let after = line.text.dropFirst(3)
            if !Self.stripComment(after).isEmpty {
                throw PlanError(
                    line: line.number,
                    column: 4,
                    message: "content after `---`; start the document on the next line"
                )
            }
            index += 1
            skipBlank()
        }
        guard let first = current else { return nil }
        if first.indent != 0 {
            throw PlanError(
                line: first.number,
                column: first.indent + 1,
                message: "the document's first line is indented; start it at column 1"
            )
        }
        let node = try block(indent: 0, depth: 0)
        skipBlank()
        if let extra = current {
            if extra.indent == 0, Self.isDocumentMarker(extra.text, "---") || Self.isDocumentMarker(extra.text, "...") {
                throw PlanError(
                    line: extra.number,
                    column: 1,
                    message: "a second document or a document end; a plan is one document"
                )
            }
            throw PlanError(
                line: extra.number,
                column: extra.indent + 1,
                message: "unexpected indentation; lines of one block start in the same column"
            )
        }
        return node
    }

    private static func isDocumentMarker(_ text: Substring, _ marker: String) -> Bool {
        guard text.hasPrefix(marker) else { return false }
        let next = text.dropFirst(marker.count).first
        return next == nil || next == " " || next == "\t"
    }

    // MARK: - Blocks

    /// Reads the block node whose first line is the current one, at exactly `indent`.
    private mutating func block(indent: Int, depth: Int) throws(PlanError) -> YAMLNode {
        guard depth < Self.maximumDepth else {
            let line = current
            throw PlanError(
                line: line?.number ?? 0,
                column: (line?.indent ?? 0) + 1,
                message: "nested deeper than \(Self.maximumDepth) levels"
            )
        }
        guard let line = current else { throw unexpectedEnd() }
        try Self.refuseUnsupported(line.text, line: line.number, column: line.indent + 1)
        if Self.isSequenceItem(line.text) { return try sequence(indent: indent, depth: depth) }
        if try Self.splitKey(line.text, line: line.number, column: line.indent + 1) != nil {
            return try mapping(indent: indent, depth: depth)
        }
        let node = try Self.inlineValue(line.text, line: line.number, column: line.indent + 1)
        index += 1
        skipBlank()
        if let next = current, next.indent > indent {
            throw Self.overIndented(next, blockColumn: indent + 1)
        }
        return node
    }

    /// A line indented deeper than the block it follows, after a value that ended on its own line.
    private static func overIndented(_ line: Line, blockColumn: Int) -> PlanError {
        if (try? splitKey(line.text, line: line.number, column: line.indent + 1)) != nil || isSequenceItem(line.text) {
            return PlanError(
                line: line.number,
                column: line.indent + 1,
                message: "unexpected indentation; this line starts in column \(line.indent + 1), "
                    + "the lines of its block in column \(blockColumn)"
            )
        }
        return PlanError(
            line: line.number,
            column: line.indent + 1,
            message:
                "a value continues on this line; a plain value is one line (use `|` or `>` for text over several lines)"
        )
    }

    /// Whether the line is `---` or `...` in column 1, which end a block.
    private static func isDocumentBoundary(_ line: Line) -> Bool {
        line.indent == 0 && (isDocumentMarker(line.text, "---") || isDocumentMarker(line.text, "..."))
    }

    /// The document ended where a value was still expected.
    private func unexpectedEnd() -> PlanError {
        PlanError(
            line: (lines.last?.number ?? 0) + 1,
            column: 1,
            message: "the document ends where a value is expected"
        )
    }

    private static func isSequenceItem(_ text: Substring) -> Bool {
        text == "-" || text.hasPrefix("- ") || text.hasPrefix("-\t")
    }

    private mutating func sequence(indent: Int, depth: Int) throws(PlanError) -> YAMLNode {
        guard let first = current else { throw unexpectedEnd() }
        let start = SourcePosition(line: first.number, column: indent + 1)
        var items: [YAMLNode] = []
        while let line = current, line.indent == indent, Self.isSequenceItem(line.text), !Self.isDocumentBoundary(line)
        {
            let itemText = line.text.dropFirst().drop { $0 == " " }
            let itemColumn = indent + 1 + (line.text.count - itemText.count)
            let content = Self.stripComment(itemText)
            if content.isEmpty {
                index += 1
                skipBlank()
                guard let next = current, next.indent > indent else {
                    items.append(.scalar("", quoted: false, at: SourcePosition(line: line.number, column: itemColumn)))
                    continue
                }
                items.append(try block(indent: next.indent, depth: depth + 1))
                continue
            }
            // A compact item: `- key: value` opens a mapping whose keys sit at the item's column, and `- - x` a
            // nested list; the rest of the line is read as if it began a line of its own at that column.
            let nested = Line(
                number: line.number,
                indent: itemColumn - 1,
                text: itemText,
                raw: line.raw,
                isBlank: false
            )
            lines[index] = nested
            items.append(try block(indent: itemColumn - 1, depth: depth + 1))
            skipBlank()
        }
        if let line = current, line.indent > indent {
            throw PlanError(
                line: line.number,
                column: line.indent + 1,
                message: "unexpected indentation inside a list; each item starts with `- ` in column \(indent + 1)"
            )
        }
        return .sequence(items, at: start)
    }

    private mutating func mapping(indent: Int, depth: Int) throws(PlanError) -> YAMLNode {
        guard let first = current else { throw unexpectedEnd() }
        let start = SourcePosition(line: first.number, column: indent + 1)
        var entries: [YAMLEntry] = []
        var seen: [String: SourcePosition] = [:]
        while let line = current, line.indent == indent, !Self.isSequenceItem(line.text), !Self.isDocumentBoundary(line)
        {
            let column = indent + 1
            try Self.refuseUnsupported(line.text, line: line.number, column: column)
            guard let (key, rest, restColumn) = try Self.splitKey(line.text, line: line.number, column: column) else {
                throw PlanError(
                    line: line.number,
                    column: column,
                    message: "expected `key: value` here, as on line \(first.number)"
                )
            }
            let keyPosition = SourcePosition(line: line.number, column: column)
            if let earlier = seen[key] {
                throw PlanError(
                    line: line.number,
                    column: column,
                    message: "the key `\(key)` appears twice in one mapping (first on line \(earlier.line))"
                )
            }
            seen[key] = keyPosition
            let value = try entryValue(
                rest,
                line: line,
                column: restColumn,
                indent: indent,
                depth: depth,
                keyPosition: keyPosition
            )
            entries.append(YAMLEntry(key: key, keyPosition: keyPosition, value: value))
        }
        if let line = current, line.indent > indent {
            throw PlanError(
                line: line.number,
                column: line.indent + 1,
                message: "unexpected indentation; the keys of this mapping start in column \(indent + 1)"
            )
        }
        return .mapping(entries, at: start)
    }

    /// The value of a `key:` whose line is the current one; `rest` is what follows the colon.
    private mutating func entryValue(
        _ rest: Substring,
        line: Line,
        column: Int,
        indent: Int,
        depth: Int,
        keyPosition: SourcePosition
    ) throws(PlanError) -> YAMLNode {
        let leading = rest.prefix { $0 == " " || $0 == "\t" }.count
        let content = Self.stripComment(rest.dropFirst(leading))
        if let indicator = content.first, indicator == "|" || indicator == ">" {
            index += 1
            return try blockScalar(
                header: content,
                line: line.number,
                column: column + leading,
                parentIndent: indent
            )
        }
        index += 1
        if !content.isEmpty {
            let node = try Self.inlineValue(rest, line: line.number, column: column)
            skipBlank()
            if let next = current, next.indent > indent {
                throw Self.overIndented(next, blockColumn: indent + 1)
            }
            return node
        }
        skipBlank()
        guard let next = current else {
            return .scalar("", quoted: false, at: SourcePosition(line: line.number, column: column))
        }
        if next.indent > indent { return try block(indent: next.indent, depth: depth + 1) }
        if next.indent == indent, Self.isSequenceItem(next.text) {
            // `key:` followed by `- item` in the key's own column: the list is the key's value (common YAML style).
            return try sequence(indent: indent, depth: depth + 1)
        }
        return .scalar("", quoted: false, at: SourcePosition(line: line.number, column: column))
    }

    // MARK: - Block scalars

    private mutating func blockScalar(header: Substring, line: Int, column: Int, parentIndent: Int) throws(PlanError)
        -> YAMLNode
    {
        let folded = header.first == ">"
        var chomping = Chomping.clip
        var explicitIndent: Int?
        for (offset, character) in header.dropFirst().enumerated() {
            switch character {
            case "-" where chomping == .clip: chomping = .strip
            case "+" where chomping == .clip: chomping = .keep
            case "1"..."9" where explicitIndent == nil: explicitIndent = character.wholeNumberValue
            default:
                throw PlanError(
                    line: line,
                    column: column + 1 + offset,
                    message: "after `\(header.first ?? "|")` only `-`, `+` or one indentation digit may follow"
                )
            }
        }
        var contentIndent = explicitIndent.map { parentIndent + $0 }
        var collected: [Substring] = []
        while let next = current {
            let raw = next.raw
            let leading = raw.prefix { $0 == " " }.count
            let isEmpty = raw.allSatisfy { $0 == " " }
            if contentIndent == nil && !isEmpty {
                guard leading > parentIndent else { break }
                if raw.dropFirst(leading).first == "\t" {
                    throw PlanError(
                        line: next.number,
                        column: leading + 1,
                        message: "a tab in the indentation; YAML indents with spaces only"
                    )
                }
                contentIndent = leading
            }
            if isEmpty {
                collected.append("")
                index += 1
                continue
            }
            guard let indentation = contentIndent, leading >= indentation else { break }
            collected.append(raw.dropFirst(indentation))
            index += 1
        }
        var trailing = 0
        while let last = collected.last, last.isEmpty {
            trailing += 1
            collected.removeLast()
        }
        var text = folded ? Self.fold(collected) : collected.joined(separator: "\n")
        switch chomping {
        case .strip: break
        case .clip: if !collected.isEmpty { text += "\n" }
        case .keep: text += String(repeating: "\n", count: trailing + (collected.isEmpty ? 0 : 1))
        }
        skipBlank()
        if let next = current, next.indent > parentIndent {
            throw PlanError(
                line: next.number,
                column: next.indent + 1,
                message: "this line is indented less than the text block above it and more than its key"
            )
        }
        return .scalar(text, quoted: true, at: SourcePosition(line: line, column: column))
    }

    /// What a block scalar keeps of its final line breaks: one (`|`), none (`|-`) or all (`|+`).
    private enum Chomping { case clip, strip, keep }

    /// YAML's line folding for `>`: a break between two lines of text becomes a space, each empty line one break,
    /// and lines indented more than the block keep their breaks.
    private static func fold(_ lines: [Substring]) -> String {
        var text = ""
        for (offset, piece) in lines.enumerated() {
            if offset > 0 {
                let previous = lines[offset - 1]
                let previousIsText = !previous.isEmpty && previous.first != " "
                if previousIsText && piece.isEmpty {
                    // The break before a run of empty lines is folded away; each empty line adds its own.
                } else if previousIsText && !piece.isEmpty && piece.first != " " {
                    text += " "
                } else {
                    text += "\n"
                }
            }
            text += piece
        }
        return text
    }

    // MARK: - Inline values

    /// Refuses what the subset leaves out, at the start of a line's content.
    private static func refuseUnsupported(_ text: Substring, line: Int, column: Int) throws(PlanError) {
        switch text.first {
        case "%":
            throw PlanError(line: line, column: column, message: "directives (`%`) are not part of the plan format")
        case "?":
            throw PlanError(
                line: line,
                column: column,
                message: "complex keys (`?`) are not allowed; write `key: value`"
            )
        default: break
        }
    }

    /// Splits `key: rest` when the line is a mapping entry; the key may be plain or quoted.
    private static func splitKey(_ text: Substring, line: Int, column: Int) throws(PlanError) -> (
        String, Substring, Int
    )? {
        if text.first == "\"" || text.first == "'" {
            let (key, after) = try quoted(text, line: line, column: column)
            let consumed = text.count - after.count
            guard after.first == ":" else { return nil }
            let rest = after.dropFirst()
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
            return (key, rest, column + consumed + 1)
        }
        if text.first == "-" && isSequenceItem(text) { return nil }
        if text.first == "[" || text.first == "{" || text.first == "#" { return nil }
        var offset = 0
        var previous: Character = " "
        for character in text {
            if character == "#" && (previous == " " || previous == "\t") { return nil }
            if character == ":" {
                let after = text.dropFirst(offset + 1)
                if after.isEmpty || after.first == " " || after.first == "\t" {
                    let key = text.prefix(offset).trimmingTrailingSpaces()
                    guard !key.isEmpty else {
                        throw PlanError(line: line, column: column, message: "a key is missing before `:`")
                    }
                    try refuseIndicators(Substring(key), line: line, column: column)
                    return (key, after, column + offset + 1)
                }
            }
            previous = character
            offset += 1
        }
        return nil
    }

    /// A value on one line: a quoted scalar, a flow sequence of scalars, or a plain scalar; comments removed.
    private static func inlineValue(_ text: Substring, line: Int, column: Int) throws(PlanError) -> YAMLNode {
        let leading = text.prefix { $0 == " " || $0 == "\t" }.count
        let body = text.dropFirst(leading)
        let start = column + leading
        let position = SourcePosition(line: line, column: start)
        switch body.first {
        case "\"", "'":
            let (value, after) = try quoted(body, line: line, column: start)
            try expectEnd(after, line: line, column: start + (body.count - after.count))
            return .scalar(value, quoted: true, at: position)
        case "[":
            return try flowSequence(body, line: line, column: start)
        case "{":
            throw PlanError(
                line: line,
                column: start,
                message: "flow mappings (`{…}`) are not allowed; write the keys on lines of their own"
            )
        default:
            let value = stripComment(body)
            try refuseIndicators(value, line: line, column: start)
            if let colon = value.firstRange(of: ": ") {
                let offset = value.distance(from: value.startIndex, to: colon.lowerBound)
                throw PlanError(
                    line: line,
                    column: start + offset,
                    message: "`: ` inside a plain value; put the value in quotes"
                )
            }
            return .scalar(String(value), quoted: false, at: position)
        }
    }

    /// Refuses a plain scalar that starts with an indicator the subset leaves out.
    private static func refuseIndicators(_ value: Substring, line: Int, column: Int) throws(PlanError) {
        switch value.first {
        case "&":
            throw PlanError(line: line, column: column, message: "anchors (`&`) are not allowed; write the value out")
        case "*":
            throw PlanError(line: line, column: column, message: "aliases (`*`) are not allowed; write the value out")
        case "!":
            throw PlanError(line: line, column: column, message: "tags (`!`) are not allowed; write a plain value")
        case "|", ">":
            throw PlanError(
                line: line,
                column: column,
                message: "a text block (`|` or `>`) can only be the value of a key"
            )
        case "@", "`":
            throw PlanError(
                line: line,
                column: column,
                message: "a plain value cannot start with `\(value.first ?? "@")`; quote it"
            )
        default: break
        }
    }

    private static func flowSequence(_ text: Substring, line: Int, column: Int) throws(PlanError) -> YAMLNode {
        var items: [YAMLNode] = []
        var rest = text.dropFirst()
        var offset = 1
        func skipSpaces() {
            while let first = rest.first, first == " " || first == "\t" {
                rest = rest.dropFirst()
                offset += 1
            }
        }
        skipSpaces()
        if rest.first == "]" {
            try expectEnd(rest.dropFirst(), line: line, column: column + offset + 1)
            return .sequence([], at: SourcePosition(line: line, column: column))
        }
        while true {
            skipSpaces()
            let itemColumn = column + offset
            switch rest.first {
            case nil:
                throw PlanError(
                    line: line,
                    column: column,
                    message: "a list opened with `[` is not closed on this line; a flow list is one line"
                )
            case "\"", "'":
                let (value, after) = try quoted(rest, line: line, column: itemColumn)
                offset += rest.count - after.count
                rest = after
                items.append(.scalar(value, quoted: true, at: SourcePosition(line: line, column: itemColumn)))
            case "[", "{":
                throw PlanError(
                    line: line,
                    column: itemColumn,
                    message: "a flow list holds plain or quoted values only"
                )
            default:
                let value = rest.prefix { $0 != "," && $0 != "]" }
                if value.contains("#") && value.contains(" #") || value.first == "#" {
                    throw PlanError(
                        line: line,
                        column: column,
                        message: "a list opened with `[` is not closed on this line; a flow list is one line"
                    )
                }
                let trimmed = value.trimmingTrailingSpaces()
                guard !trimmed.isEmpty else {
                    throw PlanError(line: line, column: itemColumn, message: "an empty item in a flow list")
                }
                try refuseIndicators(Substring(trimmed), line: line, column: itemColumn)
                if trimmed.contains(": ") || trimmed.hasSuffix(":") {
                    throw PlanError(
                        line: line,
                        column: itemColumn,
                        message: "a flow list holds plain or quoted values only, not `key: value`"
                    )
                }
                items.append(.scalar(trimmed, quoted: false, at: SourcePosition(line: line, column: itemColumn)))
                offset += value.count
                rest = rest.dropFirst(value.count)
            }
            skipSpaces()
            switch rest.first {
            case ",":
                rest = rest.dropFirst()
                offset += 1
            case "]":
                try expectEnd(rest.dropFirst(), line: line, column: column + offset + 1)
                return .sequence(items, at: SourcePosition(line: line, column: column))
            case nil:
                throw PlanError(
                    line: line,
                    column: column,
                    message: "a list opened with `[` is not closed on this line; a flow list is one line"
                )
            default:
                throw PlanError(
                    line: line,
                    column: column + offset,
                    message: "expected `,` or `]` in the flow list opened in column \(column)"
                )
            }
        }
    }

    /// Reads a quoted scalar at the start of `text`; returns its value and what follows the closing quote.
    private static func quoted(_ text: Substring, line: Int, column: Int) throws(PlanError) -> (String, Substring) {
        guard let quote = text.first else {
            throw PlanError(line: line, column: column, message: "a value is missing here")
        }
        var value = ""
        var rest = text.dropFirst()
        var offset = 1
        while let character = rest.first {
            rest = rest.dropFirst()
            offset += 1
            if character == quote {
                if quote == "'" && rest.first == "'" {
                    value.append("'")
                    rest = rest.dropFirst()
                    offset += 1
                    continue
                }
                return (value, rest)
            }
            if quote == "\"" && character == "\\" {
                guard let escaped = rest.first else { break }
                rest = rest.dropFirst()
                offset += 1
                switch escaped {
                case "\\": value.append("\\")
                case "\"": value.append("\"")
                case "/": value.append("/")
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "0": value.append("\0")
                case "u":
                    let hex = rest.prefix(4)
                    guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw PlanError(
                            line: line,
                            column: column + offset - 2,
                            message: "`\\u` takes four hexadecimal digits of a Unicode character"
                        )
                    }
                    value.unicodeScalars.append(scalar)
                    rest = rest.dropFirst(4)
                    offset += 4
                default:
                    throw PlanError(
                        line: line,
                        column: column + offset - 2,
                        message: "unknown escape `\\\(escaped)`; allowed: \\\\ \\\" \\/ \\n \\t \\r \\0 \\uXXXX"
                    )
                }
                continue
            }
            value.append(character)
        }
        throw PlanError(
            line: line,
            column: column,
            message: "the quote opened here is not closed on this line; a quoted value is one line"
        )
    }

    /// Expects only spaces and a comment after a value.
    private static func expectEnd(_ text: Substring, line: Int, column: Int) throws(PlanError) {
        let leading = text.prefix { $0 == " " || $0 == "\t" }.count
        let rest = text.dropFirst(leading)
        guard rest.isEmpty || (rest.first == "#" && (leading > 0 || text.isEmpty)) else {
            throw PlanError(
                line: line,
                column: column + leading,
                message: "unexpected text after the value; a comment starts with ` #`"
            )
        }
    }

    /// The text before a comment (`#` at the start or after a space), without trailing spaces.
    static func stripComment(_ text: Substring) -> Substring {
        var previous: Character = " "
        var end = text.endIndex
        for position in text.indices {
            let character = text[position]
            if character == "#" && (previous == " " || previous == "\t") {
                end = position
                break
            }
            previous = character
        }
        return Substring(text[text.startIndex..<end].trimmingTrailingSpaces())
    }
}

extension StringProtocol {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = String(self)
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
