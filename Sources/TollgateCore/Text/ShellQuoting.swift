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
