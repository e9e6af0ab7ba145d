#if canImport(Glibc)
import Glibc
#endif

/// Which lore lines a turn needs. Up to `allInPromptLines` lines all stay in the
/// system prompt (it never changes, so the KV cache keeps it). A larger lore would
/// cost prefill on every cache miss and bury the facts for a small model, so it is
/// scored per turn with BM25 over words against the player's line (and, at half
/// weight, the line before it, for follow-ups like "and how much is it?"); the best
/// lines go in a short system note just before the player's line, after the cached
/// prefix.
public enum KnowledgeSelection {
    public static let allInPromptLines = 8
    public static let linesPerTurn = 4

    /// Up to `limit` lines with a positive score, in the order the designer wrote them.
    public static func select(_ knowledge: [String], line: String, previousLine: String? = nil,
                              limit: Int = linesPerTurn) -> [String] {
        guard !knowledge.isEmpty, limit > 0 else { return [] }
        var query: [String: Double] = [:]
        for w in terms(line) { query[w, default: 0] += 1 }
        for w in terms(previousLine ?? "") { query[w, default: 0] += 0.5 }
        guard !query.isEmpty else { return [] }
        let docs = knowledge.map(terms)
        let averageLength = max(1, Double(docs.reduce(0) { $0 + $1.count }) / Double(docs.count))
        var documentFrequency: [String: Int] = [:]
        for doc in docs { for w in Set(doc) { documentFrequency[w, default: 0] += 1 } }
        let n = Double(docs.count)
        let k1 = 1.2, b = 0.75
        var scored: [(index: Int, score: Double)] = []
        for (i, doc) in docs.enumerated() {
            var counts: [String: Int] = [:]
            for w in doc { counts[w, default: 0] += 1 }
            var score = 0.0
            for (w, weight) in query {
                guard let tf = counts[w].map(Double.init) else { continue }
                let df = Double(documentFrequency[w] ?? 0)
                let idf = log(1 + (n - df + 0.5) / (df + 0.5))
                let lengthNorm: Double = 1 - b + b * Double(doc.count) / averageLength
                let saturation: Double = tf * (k1 + 1) / (tf + k1 * lengthNorm)
                score += weight * idf * saturation
            }
            if score > 0 { scored.append((i, score)) }
        }
        let best = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }.prefix(limit)
        return best.map(\.index).sorted().map { knowledge[$0] }
    }

    /// Lower-case words without stop words, a plural or possessive "s" folded.
    static func terms(_ text: String) -> [String] {
        AuthoredLineMatcher.words(text).compactMap { word in
            guard !stopWords.contains(word) else { return nil }
            if word.count > 3, word.hasSuffix("s"), !word.hasSuffix("ss") { return String(word.dropLast()) }
            return word
        }
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as",
        "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "have", "has", "had", "i", "you", "he",
        "she", "it", "we", "they", "me", "my", "your", "our", "their", "this", "that", "these", "those", "there",
        "what", "who", "how", "when", "where", "which", "why", "can", "could", "would", "will", "shall", "should",
        "any", "some", "about", "tell", "know", "so", "not", "no", "yes", "here", "please", "just", "much", "many",
    ]
}
