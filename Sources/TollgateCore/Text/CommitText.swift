/// Text from outside (an agent's outcome, a reviewer's name) made safe to put into a commit message.
///
/// A commit message is read back: the `Tollgate-*` trailers are how a rerun after a crash knows what is already
/// done, and `Reviewed-by:` lines say who approved. A NUL cuts a message (libgit2 takes a C string), a newline in
/// a title makes a second paragraph, and a newline in a name can forge trailers. So every title is one line,
/// every block is free of control characters but newlines and tabs, and a name that is not one clean line is
/// refused rather than repaired (DESIGN §5).
public enum CommitText {
    /// The longest title kept, in characters; longer ones end in `…`.
    public static let maximumLineLength = 200

    /// One line: control characters dropped, line breaks and runs of white space made one space, trimmed, and
    /// at most ``maximumLineLength`` characters.
    ///
    /// Nil when nothing is left.
    public static func line(_ text: String) -> String? {
        var result = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
                continue
            }
            if isControl(scalar) { continue }
            if pendingSpace {
                result.unicodeScalars.append(" ")
                pendingSpace = false
            }
            result.unicodeScalars.append(scalar)
        }
        guard !result.isEmpty else { return nil }
        guard result.count > maximumLineLength else { return result }
        return String(result.prefix(maximumLineLength - 1)) + "…"
    }

    /// A block of lines: `\r\n` and lone `\r` made `\n`, every other control character but the tab dropped,
    /// trailing white space of each line trimmed.
    ///
    /// Nil when nothing but white space is left.
    public static func block(_ text: String) -> String? {
        var lines: [String] = []
        var current = ""
        var previousWasReturn = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                if scalar == "\n" && previousWasReturn {
                    previousWasReturn = false
                    continue
                }
                lines.append(current)
                current = ""
                previousWasReturn = scalar == "\r"
                continue
            }
            previousWasReturn = false
            if scalar != "\t" && isControl(scalar) { continue }
            current.unicodeScalars.append(scalar)
        }
        lines.append(current)
        let trimmed = lines.map { line in
            var line = line
            while let last = line.unicodeScalars.last, last.properties.isWhitespace { line.unicodeScalars.removeLast() }
            return line
        }
        let joined = trimmed.joined(separator: "\n").trimmingBlankLines()
        return joined.isEmpty ? nil : joined
    }

    /// Why `name` cannot stand as a reviewer's or author's name in a trailer, or nil when it can: one
    /// non-empty line without control characters, of at most ``maximumLineLength`` characters.
    public static func problem(withName name: String) -> String? {
        if name.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { return "it is empty" }
        if name.unicodeScalars.contains(where: isLineBreak) { return "it holds a line break" }
        if let control = name.unicodeScalars.first(where: isControl) {
            return
                "it holds the control character U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
        if name.count > maximumLineLength { return "it is longer than \(maximumLineLength) characters" }
        return nil
    }

    /// Line feed, carriage return, vertical tab, form feed, next line and the line and paragraph separators.
    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }

    /// C0 and C1 controls, DEL, and the line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}

extension AgentOutcome {
    /// The outcome with its texts made fit for commit messages: the summary one line, the details a clean
    /// block, each addressed id one line (empty ones dropped).
    public var cleaned: AgentOutcome {
        var outcome = self
        outcome.summary = summary.flatMap(CommitText.line)
        outcome.details = details.flatMap(CommitText.block)
        outcome.addressed = addressed.map { $0.compactMap(CommitText.line) }
        return outcome
    }
}

extension String {
    fileprivate func trimmingBlankLines() -> String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false)
        while lines.first?.isEmpty == true { lines.removeFirst() }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
