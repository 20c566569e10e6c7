import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a process with its standard output and error on a pseudo-terminal of a given size, as a user's terminal
/// would show it, and collects every byte it wrote there.
public enum PseudoTerminal {
    // posix_openpt, grantpt, unlockpt and ptsname, looked up at run time: Swift's Glibc module leaves them out
    // (they need _XOPEN_SOURCE).
    private typealias OpenPT = @convention(c) (Int32) -> Int32
    private typealias OnMaster = @convention(c) (Int32) -> Int32
    private typealias NameOf = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }
    }

    /// What a run on the terminal left.
    public struct Result: Sendable {
        public var status: Int32
        public var timedOut: Bool
        /// Every byte written to the terminal, escape sequences included (the line discipline turns `\n` into
        /// `\r\n`).
        public var raw: String

        /// The screen the bytes leave, as ``Screen`` renders them.
        public func screen(columns: Int) -> [String] { Screen.render(raw, columns: columns) }
    }

    /// Runs `executable` with `arguments` on a new pseudo-terminal of `columns` × `rows`; standard input is empty.
    public static func run(
        executable: URL,
        arguments: [String],
        environment: [String: String],
        directory: URL,
        columns: UInt16,
        rows: UInt16,
        timeout: Double
    ) throws -> Result {
        guard let openPT = symbol("posix_openpt", as: OpenPT.self), let grant = symbol("grantpt", as: OnMaster.self),
            let unlock = symbol("unlockpt", as: OnMaster.self), let nameOf = symbol("ptsname", as: NameOf.self)
        else { throw Subprocess.Failure(description: "this C library has no posix_openpt") }
        let master = openPT(O_RDWR | O_NOCTTY)
        guard master >= 0, grant(master) == 0, unlock(master) == 0, let name = nameOf(master) else {
            throw Subprocess.Failure(description: "no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        defer { close(master) }
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            throw Subprocess.Failure(
                description: "cannot open \(String(cString: name)): \(String(cString: strerror(errno)))"
            )
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardOutput = terminal
        process.standardError = terminal
        do {
            try process.run()
        } catch {
            close(slave)
            throw Subprocess.Failure(description: "cannot start \(executable.lastPathComponent): \(error)")
        }
        close(slave)  // the child holds its own copies; the master reads EIO once they are all closed
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break  // EIO: every writer is gone
            }
        }
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(status: status, timedOut: timedOut, raw: String(decoding: bytes, as: UTF8.self))
    }

    /// A small terminal: enough of one to replay what a progress display writes (printable text, `\r`, `\n`,
    /// cursor up `ESC[nA`, erase to the end of the screen `ESC[J` and of the line `ESC[K`) and read the screen it
    /// leaves; other sequences are dropped.
    public enum Screen {
        /// The lines left on the screen (the scrollback included), trailing blanks trimmed.
        public static func render(_ text: String, columns: Int) -> [String] {
            var lines: [[Unicode.Scalar]] = [[]]
            var row = 0
            var column = 0
            // Scalars, not characters: "\r\n" is one Character.
            var characters = Array(text.unicodeScalars)[...]
            while let character = characters.popFirst() {
                switch character {
                case "\r": column = 0
                case "\n":
                    row += 1
                    if row == lines.count { lines.append([]) }
                case "\u{1B}":
                    guard characters.first == "[" else { continue }
                    characters.removeFirst()
                    var parameter = ""
                    while let next = characters.first, ("0"..."9").contains(next) || next == ";" {
                        parameter.unicodeScalars.append(next)
                        characters.removeFirst()
                    }
                    guard let command = characters.popFirst() else { break }
                    switch command {
                    case "A": row = max(0, row - (Int(parameter) ?? 1))
                    case "J":
                        lines[row] = Array(lines[row].prefix(column))
                        lines.removeSubrange((row + 1)...)
                    case "K": lines[row] = Array(lines[row].prefix(column))
                    default: break
                    }
                default:
                    if column >= columns {  // wrap, as a terminal does
                        column = 0
                        row += 1
                        if row == lines.count { lines.append([]) }
                    }
                    while lines[row].count < column { lines[row].append(" ") }
                    if column < lines[row].count {
                        lines[row][column] = character
                    } else {
                        lines[row].append(character)
                    }
                    column += 1
                }
            }
            var screen = lines.map { line in
                String(String.UnicodeScalarView(line)).replacingOccurrences(
                    of: " +$",
                    with: "",
                    options: .regularExpression
                )
            }
            while screen.last?.isEmpty == true { screen.removeLast() }
            return screen
        }
    }
}
