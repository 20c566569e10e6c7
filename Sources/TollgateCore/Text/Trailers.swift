import Foundation

/// Git trailers (`Key: value` lines in the last paragraph of a commit message), read and tidied.
public enum Trailers {
    /// The value of the last `key:` trailer in `message`, if any.
    public static func value(_ key: String, in message: String) -> String? {
        let prefix = key + ":"
        var found: String?
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) where line.hasPrefix(prefix) {
            found = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        }
        return found
    }

    /// Every value of `key:` trailers in `message`, in order.
    public static func values(_ key: String, in message: String) -> [String] {
        let prefix = key + ":"
        return message.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map {
            $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Collapses runs of blank lines (an empty `details` leaves two) and ends with one newline.
    public static func normalized(_ message: String) -> String {
        var lines: [Substring] = []
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(line.trimmingCharacters(in: .whitespaces).isEmpty ? "" : line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }
}
