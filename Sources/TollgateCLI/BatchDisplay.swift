import Foundation
import Synchronization
import TollgateCore

/// The progress of a running batch (DESIGN §11): on a terminal, a block redrawn in place (a line per unit with its
/// state, the counters line, the budget bar) that never scrolls; elsewhere one plain line per unit state change and
/// the budget's bars after each unit that finishes; with `--json`, one JSON event a line.
///
/// The terminal's size is read again at each redraw, so a resized window gets a block that fits, and the block last
/// drawn is erased by the rows its lines take at the new width: a terminal made narrower wraps the lines drawn for
/// the wider one onto more rows (as terminals that reflow do: VTE, iTerm2, kitty, Alacritty, tmux). Warnings go to
/// standard error between redraws: on a terminal the block is cleared first and drawn again after.
///
/// Public so that `tollgate-bench batch` can time the drawing itself (its CPU against a batch's wall time).
public final class BatchDisplay: Sendable {
    /// How the progress is shown.
    public enum Style: Sendable {
        case terminal
        case plain
        case json
    }

    private struct Shown: Sendable {
        /// Each unit's state and composite, and when it last changed (a sequence number).
        var units: [String: (state: BatchUnitState, composite: Double?, changed: Int)] = [:]
        var latest: BatchProgress.Change?
        /// The width of each line the last redraw drew (none before the first and after ``finish()``).
        var drawn: [Int] = []
        var changes = 0
    }

    private let output: Output
    private let style: Style
    /// Writes raw text to the terminal (standard output).
    private let write: @Sendable (String) -> Void
    /// The terminal's columns and rows now.
    private let size: @Sendable () -> (columns: Int, rows: Int)
    private let shown = Mutex(Shown())

    /// Creates a display that draws through `write`, sized by `size`.
    public init(
        output: Output,
        style: Style,
        write: @escaping @Sendable (String) -> Void,
        size: @escaping @Sendable () -> (columns: Int, rows: Int)
    ) {
        self.output = output
        self.style = style
        self.write = write
        self.size = size
    }

    /// Creates a display that draws on standard output, sized by the terminal.
    convenience init(output: Output, style: Style) {
        self.init(
            output: output,
            style: style,
            write: { StandardStream.output.write($0) },
            size: BatchDisplay.terminalSize
        )
    }

    /// The style for standard output: JSON when asked, a redrawn block on a terminal, plain lines elsewhere.
    static func style(json: Bool, terminal: Bool = isatty(STDOUT_FILENO) == 1) -> Style {
        json ? .json : terminal ? .terminal : .plain
    }

    /// Shows one unit's state change.
    public func show(_ change: BatchProgress.Change) {
        switch style {
        case .json:
            output.out(BatchCommand.event(change))
        case .plain:
            output.out(change.line)
            if change.state.isFinished {
                for bar in change.budget { output.out("  budget " + Self.label(bar)) }
            }
        case .terminal:
            shown.withLock { shown in
                shown.changes += 1
                shown.units[change.unit] = (change.state, change.composite, shown.changes)
                shown.latest = change
                redraw(&shown)
            }
        }
    }

    /// Shows a warning on standard error (on a terminal, below the block, which is drawn again under it).
    func warn(_ text: String) {
        guard style == .terminal else { return output.err(text) }
        shown.withLock { shown in
            clear(&shown)
            output.err(text)
            redraw(&shown)
        }
    }

    /// Leaves the last block on the screen and moves below it, so what is printed next starts on a line of its own.
    public func finish() {
        guard style == .terminal else { return }
        shown.withLock { shown in
            if !shown.drawn.isEmpty { write("\n") }
            shown.drawn = []
        }
    }

    // MARK: - Drawing

    private func clear(_ shown: inout Shown) {
        guard !shown.drawn.isEmpty else { return }
        write(Self.backToTop(shown.drawn, columns: size().columns) + "\u{1B}[J")
        shown.drawn = []
    }

    private func redraw(_ shown: inout Shown) {
        guard let latest = shown.latest else { return }
        let (columns, rows) = size()
        let lines = Self.frame(
            units: shown.units.map {
                (unit: $0.key, state: $0.value.state, composite: $0.value.composite, changed: $0.value.changed)
            },
            latest: latest,
            rows: rows
        )
        .map { Self.fitted($0, columns: columns) }
        // Back to the block's first row, erase to the end of the screen, draw; the cursor stays on the last row.
        write(Self.backToTop(shown.drawn, columns: columns) + "\u{1B}[J" + lines.joined(separator: "\n"))
        shown.drawn = lines.map(\.count)
    }

    /// The escapes that take the cursor from the last row of a block of lines `widths` wide to the start of its first
    /// row, on a terminal `columns` wide now: each line takes the rows it wraps to at that width (one, unless the
    /// terminal was made narrower since it was drawn).
    static func backToTop(_ widths: [Int], columns: Int) -> String {
        let width = max(columns, 1)
        let rows = widths.reduce(0) { $0 + max(1, ($1 + width - 1) / width) }
        return "\r" + (rows > 1 ? "\u{1B}[\(rows - 1)A" : "")
    }

    /// One unit as the block shows it: its state, its composite, and when it last changed (a sequence number).
    typealias Unit = (unit: String, state: BatchUnitState, composite: Double?, changed: Int)

    /// The block's lines: the units (all of them when they fit, else the running ones and those changed last, with
    /// a line for the rest), the counters line, and a line per budget bar.
    static func frame(units: [Unit], latest: BatchProgress.Change, rows: Int) -> [String] {
        let footer =
            ["[\(latest.done)/\(latest.total)] \(latest.counters)"] + latest.budget.map { "  budget " + label($0) }
        let room = max(rows - 1 - footer.count, 1)
        var chosen = units
        var hidden = 0
        if units.count > room {
            // The running ones, then those changed last: the best `room - 1` found in one pass over the units, kept in
            // rank order, so a redraw of a large batch sorts a screenful, not every unit.
            func ranksAbove(_ left: Unit, _ right: Unit) -> Bool {
                let (l, r) = (left.state == .running, right.state == .running)
                return l != r ? l : left.changed > right.changed
            }
            let keep = room - 1
            var best: [Unit] = []
            best.reserveCapacity(keep + 1)
            for unit in units {
                guard best.count < keep || best.last.map({ ranksAbove(unit, $0) }) == true else { continue }
                let place = best.firstIndex { ranksAbove(unit, $0) } ?? best.endIndex
                best.insert(unit, at: place)
                if best.count > keep { best.removeLast() }
            }
            hidden = units.count - best.count
            chosen = best
        }
        chosen.sort { $0.unit < $1.unit }
        var lines = chosen.map { unit in
            let score = unit.composite.map { " (composite \(Scoreboard.rounded($0)))" } ?? ""
            return "  \(unit.state.words.padding(toLength: 15, withPad: " ", startingAt: 0)) \(unit.unit)\(score)"
        }
        if hidden > 0 { lines.append("  … and \(hidden) more unit(s)") }
        return lines + footer
    }

    /// `line` cut to fit `columns` less one (a line as wide as the terminal would wrap and break the redraw).
    static func fitted(_ line: String, columns: Int) -> String {
        let width = max(columns - 1, 10)
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }

    /// `tokens [###…] spent …` for the batch's own caps, prefixed with the scope for the project's.
    static func label(_ bar: BudgetCheck.Bar) -> String {
        (bar.scope == "batch" ? "" : bar.scope + " ") + bar.line()
    }

    /// The terminal's size now (80 × 24 when it cannot be told).
    @Sendable static func terminalSize() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return (80, 24) }
        return (Int(size.ws_col), size.ws_row > 0 ? Int(size.ws_row) : 24)
    }
}
