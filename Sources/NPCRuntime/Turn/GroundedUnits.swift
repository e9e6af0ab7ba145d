/// Keeps a figure's unit to the ones the prompt gives it: with "one copper" and
/// "two silver" in the lore, a small model still says "one silver" — each word is
/// grounded, the fact is not. After a figure (a number word, "one" included, or
/// digits), a unit — a coin, a distance, a span of time, or any word the prompt
/// puts after a figure ("eleven miners") — may follow only if the prompt pairs it
/// with that value somewhere ("2 miles" needs something two miles off).
public struct GroundedUnits: LogitsProcessor {
    let tokenizer: Tokenizer
    /// Context length when the reply starts.
    let promptCount: Int
    /// Per unit (singular, lower case): the values the prompt gives it.
    let values: [String: Set<UInt64>]
    /// Per unit: the single tokens that say it as the next word (" silver", " Silver", " miles").
    let unitTokens: [(unit: String, ids: [Int32])]

    /// Units a reply may invent a figure for, whether or not the prompt uses them.
    static let commonUnits = ["copper", "silver", "gold", "coin", "crown", "penny", "pence", "mark", "shilling",
                              "mile", "league", "yard", "pace", "step", "foot", "feet",
                              "minute", "hour", "day", "night", "week", "month", "year", "bell"]

    /// `common`: the single tokens of `commonUnits`, built once per tokenizer.
    public init(tokenizer: Tokenizer, common: [String: [Int32]], groundedIn text: String, promptCount: Int) {
        self.tokenizer = tokenizer
        self.promptCount = promptCount
        var values: [String: Set<UInt64>] = [:]
        for (value, unit) in Self.pairs(in: text) { values[unit, default: []].insert(value) }
        self.values = values
        let units = Set(common.keys).union(values.keys).sorted()
        unitTokens = units.map { ($0, common[$0] ?? Self.tokens(of: $0, tokenizer)) }
    }

    /// The single tokens of each common unit, for `init`.
    public static func commonTokens(_ tokenizer: Tokenizer) -> [String: [Int32]] {
        Dictionary(uniqueKeysWithValues: commonUnits.map { ($0, tokens(of: $0, tokenizer)) })
    }

    /// The single tokens that say `unit` as the next word, singular or plural, any case.
    static func tokens(of unit: String, _ tokenizer: Tokenizer) -> [Int32] {
        let spellings = [unit, unit + "s", unit == "foot" ? "feet" : unit, unit == "penny" ? "pennies" : unit]
        var ids: Set<Int32> = []
        for word in Set(spellings) {
            for form in [word, word.prefix(1).uppercased() + word.dropFirst()] {
                let encoded = tokenizer.encode(" " + form, addSpecial: false, parseSpecial: false)
                if encoded.count == 1 { ids.insert(encoded[0]) }   // a shared first piece would ban other words
            }
        }
        return ids.sorted()
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        let start = history.startIndex + max(0, min(promptCount, history.count))
        let reply = history[start...]
        guard !reply.isEmpty else { return }
        let tail = tokenizer.decode(Array(reply.suffix(6)), renderSpecial: false)
        guard let value = Self.trailingFigure(tail) else { return }
        for (unit, ids) in unitTokens where values[unit]?.contains(value) != true {
            for id in ids where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
        }
    }

    /// The words of a text, lower case: runs of ASCII letters or of digits.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        for ch in text.lowercased() {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                if let last = word.last, last.isNumber != ch.isNumber { out.append(word); word = "" }
                word.append(ch)
            } else if !word.isEmpty {
                out.append(word)
                word = ""
            }
        }
        if !word.isEmpty { out.append(word) }
        return out
    }

    /// A unit word in its singular form ("miles" → "mile", "feet" stays).
    static func singular(_ word: String) -> String {
        if word == "pennies" { return "penny" }
        return word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") ? String(word.dropLast()) : word
    }

    /// (value, unit) for every figure the text follows with a word: "two silver a
    /// night" → (2, "silver"); "two hundred and five years" → (205, "year").
    static func pairs(in text: String) -> [(UInt64, String)] {
        let w = words(text)
        var out: [(UInt64, String)] = []
        var i = 0
        while i < w.count {
            guard let (value, end) = figure(in: w, at: i) else { i += 1; continue }
            if end < w.count, figure(in: w, at: end) == nil, !KnowledgeSelection.stopWords.contains(w[end]) {
                out.append((value, singular(w[end])))
            }
            i = end
        }
        return out
    }

    /// The figure starting at word `i` and the index after it: digits, or a run of
    /// number words ("and" allowed after "hundred").
    static func figure(in w: [String], at i: Int) -> (UInt64, Int)? {
        if let first = w[i].first, first.isNumber { return UInt64(w[i]).map { ($0, i + 1) } }
        var end = i
        while end < w.count, NumberWords.values[w[end]] != nil
                || (w[end] == "and" && end > i && w[end - 1] == "hundred" && end + 1 < w.count && NumberWords.values[w[end + 1]] != nil) {
            end += 1
        }
        guard end > i, let value = GroundedFigures.value(of: w[i..<end].filter { $0 != "and" }) else { return nil }
        return (value, end)
    }

    /// The value of the figure a text ends with (its last word, no space after it).
    static func trailingFigure(_ text: String) -> UInt64? {
        guard let last = text.last, last.isASCII, last.isLetter || last.isNumber else { return nil }
        let w = words(text)
        var i = 0
        while i < w.count {
            guard let (value, end) = figure(in: w, at: i) else { i += 1; continue }
            if end == w.count { return value }
            i = end
        }
        return nil
    }
}
