import Foundation
import Synchronization

/// The live line shown while an agent runs: on a terminal, `agent running 12 s: <its last line>` redrawn in place
/// once a second and cleared before the next line of output; elsewhere a plain heartbeat line every 30 s, so a log
/// shows the job is alive without filling up.
final class LiveProgress: Sendable {
    /// Seconds between heartbeat lines when standard output is not a terminal.
    static let plainInterval = 30

    private let output: Output
    private let terminal: Bool
    private let state = Mutex<(shown: Bool, lastPlain: Int)>((false, 0))

    init(output: Output, terminal: Bool = isatty(STDOUT_FILENO) == 1) {
        self.output = output
        self.terminal = terminal
    }

    /// One beat: the agent has run `elapsed` and last wrote `line`.
    @Sendable func beat(_ elapsed: Duration, _ line: String?) {
        let seconds = Int(elapsed.components.seconds)
        let said = line.map { ": " + $0 } ?? ""
        if terminal {
            let columns = Self.columns()
            var text = "  agent running \(Self.clock(seconds))\(said)"
            if text.count > columns - 1 { text = String(text.prefix(max(columns - 2, 10))) + "…" }
            state.withLock { $0.shown = true }
            StandardStream.output.write("\r\u{1B}[K" + text)
            return
        }
        let due = state.withLock { state -> Bool in
            guard seconds - state.lastPlain >= Self.plainInterval else { return false }
            state.lastPlain = seconds
            return true
        }
        if due { output.out("  agent still running after \(Self.clock(seconds))\(said)") }
    }

    /// Clears the live line, if one is shown, so the next line starts on a clean row.
    func clear() {
        let shown = state.withLock { state -> Bool in
            defer { state = (false, 0) }
            return state.shown
        }
        if shown { StandardStream.output.write("\r\u{1B}[K") }
    }

    /// `12 s`, `3 min 05 s`.
    static func clock(_ seconds: Int) -> String {
        seconds < 60 ? "\(seconds) s" : "\(seconds / 60) min \(String(format: "%02d", seconds % 60)) s"
    }

    /// The terminal's width now (it may have been resized), 80 when it cannot be told.
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
