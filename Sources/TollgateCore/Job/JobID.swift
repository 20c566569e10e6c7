import Foundation

/// A job's id, made from its directory's name: what branches, PR titles, trailers and Gitea repository names
/// carry, so it keeps to lower-case ASCII letters, digits, `-` and `_`.
public enum JobID {
    /// Letters with no decomposition into a base letter and a mark, spelt as their usual ASCII transliteration.
    static let transliterations: [Character: String] = [
        "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i",
    ]

    /// `name` lower-cased, accents folded (`ünïcødé` → `unicode`), every run of other characters one `-`, no `-`
    /// at either end; `job` when nothing is left.
    public static func make(from name: String) -> String {
        let folded = name.lowercased().folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        var id = ""
        var pendingDash = false
        for character in folded {
            let text = transliterations[character] ?? String(character)
            for scalar in text.unicodeScalars {
                let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
                if allowed {
                    if pendingDash && !id.isEmpty { id.append("-") }
                    pendingDash = false
                    id.unicodeScalars.append(scalar)
                } else {
                    pendingDash = true
                }
            }
        }
        return id.isEmpty ? "job" : id
    }
}
