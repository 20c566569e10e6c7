/// Paths and words quoted for a POSIX shell, so a command Tollgate suggests runs when pasted as printed.
public enum ShellQuoting {
    /// `word` as is when it holds only characters a shell leaves alone, else in single quotes (a quote inside
    /// written `'\''`).
    public static func quoted(_ word: String) -> String {
        guard !word.isEmpty else { return "''" }
        let plain = word.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "-", "_", "+", ",", ":", "@", "%", "=": true
            default: false
            }
        }
        if plain { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}

extension ShellQuoting {
    /// The script `/bin/sh -c` runs for `command`: the command itself, or `exec` and the command when that is the
    /// same program with the same arguments, so the shell does not stay as a second process (dash forks for a lone
    /// command; every agent run then costs one process more).
    ///
    /// The `exec` form is used only for a command of plain words (the characters ``quoted(_:)`` leaves alone, one
    /// space between words) whose first word names a file by path (it holds a `/`): no shell syntax, no
    /// assignment, no builtin or function the shell would run instead. Anything else runs as written.
    public static func script(for command: String) -> String {
        let words = command.split(separator: " ", omittingEmptySubsequences: false)
        guard let program = words.first, program.contains("/"), !program.contains("=") else { return command }
        let plain = words.allSatisfy { word in !word.isEmpty && quoted(String(word)) == word }
        return plain ? "exec " + command : command
    }
}
