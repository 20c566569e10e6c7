/// How alike two versions of a text artifact are, as a ratio from 0 (nothing shared) to 1 (the same).
///
/// The measure is line based, since the artifacts are documents that revisions change line by line:
/// each text becomes its non-blank lines, with white space at either end of a line ignored; the ratio
/// is `2 × M / (A + B)`, where `A` and `B` count the two texts' lines and `M` is the length of their
/// longest common subsequence of lines. Two texts without any non-blank line are identical (ratio 1).
///
/// The common prefix and suffix are matched first, so the usual small revision costs little; the
/// remaining middle is compared in `O(a × b)` time with two rows of memory. Middles larger than
/// ``maxComparedCells`` fall back to comparing lines as multisets, which ignores order.
public enum Similarity {
    /// The largest middle (lines of one text × lines of the other) compared in order.
    public static let maxComparedCells = 4_000_000

    /// The similarity of `a` and `b`, from 0 to 1.
    public static func ratio(_ a: String, _ b: String) -> Double {
        let left = Self.lines(a)
        let right = Self.lines(b)
        let total = left.count + right.count
        guard total > 0 else { return 1 }
        return Double(2 * Self.commonLineCount(left, right)) / Double(total)
    }

    /// The non-blank lines of `text`, trimmed of white space at both ends.
    static func lines(_ text: String) -> [Substring] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.drop(while: \.isWhitespace)
            let end = trimmed.lastIndex { !$0.isWhitespace }
            guard let end else { return nil }
            return trimmed[...end]
        }
    }

    /// The length of the longest common subsequence of the two line lists.
    static func commonLineCount(_ a: [Substring], _ b: [Substring]) -> Int {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
            a[a.count - 1 - suffix] == b[b.count - 1 - suffix]
        {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        guard !middleA.isEmpty, !middleB.isEmpty else { return prefix + suffix }
        if middleA.count * middleB.count > Self.maxComparedCells {
            var counts: [Substring: Int] = [:]
            for line in middleA { counts[line, default: 0] += 1 }
            var shared = 0
            for line in middleB where (counts[line] ?? 0) > 0 {
                counts[line, default: 0] -= 1
                shared += 1
            }
            return prefix + suffix + shared
        }
        var previous = [Int](repeating: 0, count: middleB.count + 1)
        var current = previous
        for lineA in middleA {
            for (index, lineB) in middleB.enumerated() {
                current[index + 1] = lineA == lineB ? previous[index] + 1 : max(previous[index + 1], current[index])
            }
            swap(&previous, &current)
        }
        return prefix + suffix + previous[middleB.count]
    }
}
