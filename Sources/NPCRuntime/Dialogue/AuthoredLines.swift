/// A designer's exact reply to a kind of player line: spoken without inference
/// when the player's line is close enough to `trigger` (the cheapest route, and
/// the one that always says what the writer wrote).
public struct AuthoredLine: Sendable, Equatable {
    public var trigger: String
    public var reply: String
    public init(trigger: String, reply: String) {
        self.trigger = trigger
        self.reply = reply
    }
}

/// Closeness of a player's line to the triggers: the Dice coefficient of their
/// letter trigrams after folding case and punctuation ("do you have a room for
/// the night?" ≈ "Do you have a room for tonight"), which forgives typos and word
/// order a little and a different question not at all.
public enum AuthoredLineMatcher {
    /// Lines at least this close to a trigger get its reply.
    public static let threshold = 0.72

    /// The best trigger at or above the threshold, and its score.
    public static func match(_ line: String, in lines: [AuthoredLine]) -> (line: AuthoredLine, score: Double)? {
        guard !lines.isEmpty else { return nil }
        let grams = trigrams(line)
        guard !grams.isEmpty else { return nil }
        var best: (line: AuthoredLine, score: Double)?
        for candidate in lines {
            let score = similarity(grams, trigrams(candidate.trigger))
            if score >= threshold, score > (best?.score ?? 0) { best = (candidate, score) }
        }
        return best
    }

    public static func similarity(_ a: String, _ b: String) -> Double { similarity(trigrams(a), trigrams(b)) }

    static func similarity(_ a: [String: Int], _ b: [String: Int]) -> Double {
        let total = a.values.reduce(0, +) + b.values.reduce(0, +)
        guard total > 0 else { return 0 }
        var shared = 0
        for (gram, count) in a { shared += min(count, b[gram] ?? 0) }
        return Double(2 * shared) / Double(total)
    }

    /// Trigrams of the line's words (lower case, letters and digits), each word
    /// padded with spaces so short words still count.
    static func trigrams(_ text: String) -> [String: Int] {
        var grams: [String: Int] = [:]
        for word in words(text) {
            let chars = Array(" " + word + " ")
            guard chars.count >= 3 else { continue }
            for i in 0...(chars.count - 3) { grams[String(chars[i..<(i + 3)]), default: 0] += 1 }
        }
        return grams
    }

    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber { current.append(ch) } else if ch != "'" && ch != "’" {
                if !current.isEmpty { words.append(current); current = "" }
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
