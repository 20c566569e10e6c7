import Foundation

/// The Python interpreter the test servers run on, found once per test process.
///
/// `python3` on the `PATH` may be a version manager's shim (pyenv's is a chain of shell scripts that costs more than
/// the interpreter's own start); asked once for `sys.executable`, every later server starts the interpreter itself.
public enum Python {
    /// The interpreter and the arguments that come before a script's: the real executable when Python could say
    /// where it is, else `/usr/bin/env python3`.
    public static let command: (executable: URL, leading: [String]) = {
        let fallback = (URL(fileURLWithPath: "/usr/bin/env"), ["python3"])
        let process = Process()
        process.executableURL = fallback.0
        process.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return fallback
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, path.hasPrefix("/"), FileManager.default.isExecutableFile(atPath: path)
        else { return fallback }
        return (URL(fileURLWithPath: path), [])
    }()

    /// Points `process` at the interpreter with `arguments` after it.
    public static func configure(_ process: Process, arguments: [String]) {
        process.executableURL = command.executable
        process.arguments = command.leading + arguments
    }
}
