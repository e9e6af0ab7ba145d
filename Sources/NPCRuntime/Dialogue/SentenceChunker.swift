/// Splits a streaming reply into speakable pieces as the text arrives: whole
/// sentences, and — for the first piece of a turn only — an early phrase, so the
/// voice can start sooner: at a comma or dash once it has a few words, or, in a
/// longer first sentence without one, before a word that opens a new clause or
/// phrase ("…a former sailor | who used to work here.", "…drinks here | on
/// Tuesdays.", "…went dark | forty years ago."). The player hears the first
/// piece while the rest is still being generated; later pieces are sentences,
/// which keep the voice's sentence intonation.
public struct SentenceChunker: Sendable {
    /// Words before the first piece may end at a comma, semicolon, colon or dash.
    public var firstClauseWords = 3
    /// Words before the first piece may end before a clause- or phrase-opening word:
    /// a pause there is one a speaker could make, and on a 0.5B model each word
    /// waited for is about 25 ms more before the player hears anything.
    public var firstRunWords = 4
    private var buffer = ""
    private var emitted = 0

    public init() {}

    /// Adds a text delta; returns the pieces it completes.
    public mutating func feed(_ delta: String) -> [String] {
        buffer += delta
        var out: [String] = []
        while let piece = nextPiece() { out.append(piece) }
        return out
    }

    /// The rest of the reply, if any speakable text is left.
    public mutating func finish() -> String? {
        let rest = buffer.trimmedWhitespace
        buffer = ""
        return rest.isEmpty ? nil : rest
    }

    private static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "mt", "vs", "jr", "sr", "prof", "etc", "e.g", "i.e"]

    private mutating func nextPiece() -> String? {
        let chars = Array(buffer)
        var words = 0
        var depth = 0   // inside a stage direction, "(whispers)": no spoken words
        var lastWordEnd = -1   // the space after the last counted word
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "(" || c == "[" { depth += 1 } else if (c == ")" || c == "]") && depth > 0 { depth -= 1 }
            if c == " " && depth == 0 && i > 0 && chars[i - 1] != ")" && chars[i - 1] != "]" {
                words += 1
                lastWordEnd = i
                if emitted == 0 && words >= firstRunWords && opensPhrase(chars, at: i + 1) { return cut(at: i, chars) }
            }
            if c == "\n" && i > 0 && chars[i - 1] == "\n" { return cut(at: i + 1, chars) }   // paragraph
            let isEnd = c == "." || c == "!" || c == "?" || c == "…"
            let isClause = emitted == 0 && words + 1 >= firstClauseWords && (c == "," || c == ";" || c == ":" || c == "—")
            if isEnd || isClause {
                // A boundary only when followed by whitespace we have already seen (the next
                // delta could continue "3.5" or "...").
                var j = i + 1
                while j < chars.count && (chars[j] == "." || chars[j] == "!" || chars[j] == "?" || chars[j] == "\"" || chars[j] == "'" || chars[j] == ")") { j += 1 }
                guard j < chars.count else { return nil }
                if chars[j] == " " || chars[j] == "\n" {
                    if c == "." && isAbbreviation(chars, before: i) { i = j; continue }
                    return cut(at: j, chars)
                }
                i = j
                continue
            }
            i += 1
        }
        // A count that has just arrived ("…went dark forty") opens a phrase whatever
        // follows it: no need to wait for the next word.
        if emitted == 0 && words >= firstRunWords && lastWordEnd >= 0 && startsCount(chars[(lastWordEnd + 1)...]) {
            return cut(at: lastWordEnd, chars)
        }
        return nil
    }

    /// Whether `word` (the end of the text so far) is a number word or digits.
    private func startsCount(_ word: ArraySlice<Character>) -> Bool {
        guard !word.isEmpty else { return false }
        if word.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        return word.allSatisfy(\.isLetter) && NumberWords.countWords.contains(String(word).lowercased())
    }

    private static let clauseOpeners: Set<String> = ["and", "but", "who", "which", "because", "so", "when", "where", "while",
                                                     "though", "although", "since", "until", "unless", "or", "whose"]
    /// Prepositions (and "every") that start an adverbial phrase ("to" and "of" bind
    /// too tightly to what comes before: "want | to go", "a cup | of tea").
    private static let phraseOpeners: Set<String> = ["at", "in", "on", "for", "with", "from", "by", "about", "after", "before",
                                                     "during", "over", "under", "near", "into", "through", "across", "behind",
                                                     "beyond", "around", "without", "inside", "outside", "along", "past", "toward",
                                                     "towards", "every"]

    /// Whether a whole word (already followed by a space) starting at `start` opens a
    /// clause or a phrase: a conjunction, a relative word, a preposition or a count.
    private func opensPhrase(_ chars: [Character], at start: Int) -> Bool {
        var end = start
        while end < chars.count && (chars[end].isLetter || chars[end].isNumber) { end += 1 }
        guard end > start, end < chars.count, chars[end] == " " else { return false }
        let word = String(chars[start..<end]).lowercased()
        if word.allSatisfy(\.isNumber) { return true }
        return Self.clauseOpeners.contains(word) || Self.phraseOpeners.contains(word) || NumberWords.countWords.contains(word)
    }

    private func isAbbreviation(_ chars: [Character], before end: Int) -> Bool {
        var start = end
        while start > 0 && (chars[start - 1].isLetter || chars[start - 1] == ".") { start -= 1 }
        let word = String(chars[start..<end]).lowercased()
        if word.count == 1 && word.first?.isUppercase == false { return false }
        return Self.abbreviations.contains(word) || (word.count == 1 && chars[start].isUppercase)
    }

    private mutating func cut(at index: Int, _ chars: [Character]) -> String? {
        let piece = String(chars[..<index]).trimmedWhitespace
        buffer = String(chars[index...])
        guard !piece.isEmpty else { return nil }
        emitted += 1
        return piece
    }
}
