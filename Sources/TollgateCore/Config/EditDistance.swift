/// Levenshtein distance between names, used to suggest the key or placeholder a user meant.
enum EditDistance {
    /// The number of single-character insertions, deletions and substitutions that turn `a` into `b`.
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `name`, if it is close enough to be a likely typo.
    ///
    /// A candidate whose last dotted component equals `name` (`command` for `agent.command`) wins outright,
    /// then the shortest candidate that starts with `name` (`agent.timeout` for `agent.timeoutSeconds`).
    /// Otherwise the nearest candidate within a third of the name's length (at least 2 edits) is returned;
    /// ties go to the alphabetically first.
    static func closest(to name: String, among candidates: [String]) -> String? {
        let suffixMatches = candidates.filter { $0.split(separator: ".").last.map(String.init) == name }
        if let match = suffixMatches.sorted().first { return match }
        if name.count >= 3 {
            let prefixMatches = candidates.filter { $0.hasPrefix(name) && $0 != name }
            if let match = prefixMatches.min(by: { ($0.count, $0) < ($1.count, $1) }) { return match }
        }
        let limit = max(2, name.count / 3)
        let scored = candidates.map { (candidate: $0, distance: between(name, $0)) }
            .filter { $0.distance <= limit }
            .sorted { ($0.distance, $0.candidate) < ($1.distance, $1.candidate) }
        return scored.first?.candidate
    }
}
