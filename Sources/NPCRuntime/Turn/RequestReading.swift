/// Reads a player's line as a request for one of an NPC's actions, without the
/// model: the grammatical form of an English request ("Sell me…", "Could you…",
/// "I'd like…", "…, please"), the words of the actions' own schemas (names,
/// descriptions, enum values, parameter names) that the line mentions, and the
/// phrases with which players argue against an NPC's rules. Measured on the
/// 135M and 0.5B models, the models' own scores for "act or talk" hardly
/// separated requests from small talk (BENCHMARKS.md, #13); these forms do, and
/// they miss in the safe direction: a request they do not recognise gets words,
/// not an action. Lines in other languages are never taken as requests.
enum RequestReading {
    /// True when some clause of `line` has the form of a request and the line does
    /// not end on a plain question ("I need salt. What will it cost?" asks first).
    static func isRequest(_ line: String, actionVerbs: Set<String>) -> Bool {
        let clauses = clauseWords(line)
        guard clauses.contains(where: { isRequestClause($0, actionVerbs: actionVerbs) }) else { return false }
        if line.trimmedWhitespace.hasSuffix("?"), let last = clauses.last, !isRequestClause(last, actionVerbs: actionVerbs) {
            return false
        }
        return true
    }

    /// True when the line argues with the NPC's rules or identity (ignore your
    /// instructions, pretend, for free, as you promised, the mayor sent me).
    static func pressesAgainstRules(_ line: String) -> Bool {
        let w = words(line).map(stem)
        return pressure.contains { !starts(of: $0, in: w).isEmpty }
    }

    /// For each tool, how much of its own vocabulary `text` mentions: each
    /// matched word counts 1 / (number of the NPC's tools that share it).
    static func groundedScores(_ text: String, tools: [ToolSpec]) -> [Double] {
        let mentioned = Set(words(text).map(stem))
        let vocabularies = tools.map(vocabulary)
        var shared: [String: Int] = [:]
        for v in vocabularies { for w in v { shared[w, default: 0] += 1 } }
        return vocabularies.map { v in
            v.reduce(0) { $0 + (mentioned.contains($1) ? 1 / Double(shared[$1] ?? 1) : 0) }
        }
    }

    /// Words that may open an imperative for these tools: every word of their
    /// names ("assign_berth": "berth my boat") and the first of each description.
    static func actionVerbs(_ tools: [ToolSpec]) -> Set<String> {
        var verbs = Set<String>()
        for t in tools {
            verbs.formUnion(words(t.name).filter { !stopWords.contains($0) })
            if let first = words(t.description).first { verbs.insert(first) }
        }
        return verbs
    }

    // MARK: - request forms

    private static func isRequestClause(_ w: [String], actionVerbs: Set<String>) -> Bool {
        guard !w.isEmpty else { return false }
        var i = 0
        while i < w.count - 1 && leadWords.contains(w[i]) { i += 1 }
        let opensModal = i + 1 < w.count && modalOpenings.contains { $0[0] == w[i] && $0[1] == w[i + 1] }
        // "Could you tell me…", "Please explain…", "I'd like to know…" ask for words, not an action
        if asksForWords(w, from: opensModal ? i + 2 : i) { return false }
        if opensModal { return true }
        if questionOpenings.contains(w[i]) { return false }
        if w.contains("please") { return true }
        if requestVerbs.contains(w[i]) || actionVerbs.contains(w[i]) { return true }
        if i + 2 < w.count, w[i] == "i", w[i + 1] == "ll" || w[i + 1] == "will",
           requestVerbs.contains(w[i + 2]) || actionVerbs.contains(w[i + 2]) { return true }
        return wantPhrases.contains { phrase in
            starts(of: phrase, in: w).contains { !asksForWords(w, from: $0 + phrase.count) }
        }
    }

    /// Where `phrase` occurs in `w`, as start indices.
    private static func starts(of phrase: [String], in w: [String]) -> [Int] {
        guard !phrase.isEmpty, phrase.count <= w.count else { return [] }
        return (0...(w.count - phrase.count)).filter { w[$0..<($0 + phrase.count)].elementsEqual(phrase) }
    }

    /// Whether the words from `start` (after "please", "just", "to") open with a verb of talk or thought.
    private static func asksForWords(_ w: [String], from start: Int) -> Bool {
        var k = start
        while k < w.count && ["please", "just", "kindly", "to", "me", "us"].contains(w[k]) { k += 1 }
        return k < w.count && talkVerbs.contains(w[k])
    }

    private static let talkVerbs: Set<String> = ["tell", "explain", "describe", "say", "remind", "recommend", "suggest",
                                                 "know", "hear", "ask", "learn", "understand", "talk", "speak", "chat",
                                                 "think", "wonder", "guess", "imagine", "believe", "thank"]

    /// "Captain, open the gate." "Then give me one." "All right, sell me two."
    private static let leadWords: Set<String> = ["then", "so", "now", "please", "just", "ok", "okay", "alright", "all", "right",
                                                 "fine", "yes", "yeah", "good", "great", "well", "oh", "hey", "and", "but"]
    private static let questionOpenings: Set<String> = ["what", "where", "when", "who", "whom", "whose", "why", "how", "which",
                                                        "is", "are", "am", "do", "does", "did", "was", "were", "have", "has",
                                                        "had", "isn", "aren", "don", "doesn", "didn", "wasn", "weren"]
    private static let modalOpenings: [[String]] = [["can", "you"], ["could", "you"], ["would", "you"], ["will", "you"],
                                                    ["won", "t"], ["may", "i"], ["can", "i"], ["could", "i"], ["might", "i"]]
    private static let wantPhrases: [[String]] = [["i", "d", "like"], ["i", "would", "like"], ["i", "want"], ["i", "need"],
                                                  ["let", "me"], ["let", "s"], ["give", "me"], ["sell", "me"], ["bring", "me"],
                                                  ["get", "me"], ["show", "me"], ["take", "me"],
                                                  ["i", "ll", "have"], ["i", "will", "have"]]
    /// Verbs that open requests to shopkeepers, guards and helpers in general.
    private static let requestVerbs: Set<String> = [
        "give", "sell", "buy", "bring", "get", "open", "close", "shut", "take", "lend", "borrow", "fix", "repair", "mend",
        "write", "heal", "cure", "bless", "light", "rent", "hire", "book", "order", "reserve", "make", "pour",
        "serve", "send", "carry", "row", "ferry", "forge", "brew", "cook", "pack", "wrap", "issue", "unlock", "lock",
        "offer", "trade", "fetch", "hand", "pass", "deliver", "mark", "teach", "train", "guide", "lead", "escort",
        "patch", "sharpen", "stamp", "sign",
    ]

    /// Phrases of instruction overrides, role-play framing, "free", setups that
    /// claim an earlier promise, and borrowed authority (stemmed words).
    private static let pressure: [[String]] = [
        ["ignore"], ["disregard"], ["forget"], ["override"], ["instruction"], ["rule"], ["prompt"], ["developer"],
        ["admin"], ["administrator"], ["jailbreak"], ["restriction"], ["you", "are", "now"], ["you", "re", "now"],
        ["act", "as"], ["pretend"], ["role", "play"], ["roleplay"], ["play", "a", "game"], ["in", "character"], ["story"],
        ["for", "free"], ["free", "of", "charge"], ["without", "paying"], ["promised"], ["promise"], ["we", "agreed"],
        ["as", "agreed"], ["as", "you", "said"], ["sent", "me"], ["by", "order"], ["on", "behalf"],
        ["i", "order", "you"], ["i", "command", "you"], ["grandmother"], ["grandma"], ["be", "my"],
    ]

    // MARK: - words

    /// Words too common to tie a line to an action; the light verbs among them
    /// ("give", "take") open requests of every kind ("give me a moment").
    private static let stopWords: Set<String> = ["the", "a", "an", "of", "for", "to", "from", "or", "and", "some", "one",
                                                 "player", "someone", "something", "piece", "in", "on", "with", "your",
                                                 "my", "their", "its", "item", "s", "by", "at", "as", "into", "any",
                                                 "give", "get", "take", "make", "let", "bring", "hand", "put", "do", "go",
                                                 "have", "me"]

    private static func vocabulary(_ tool: ToolSpec) -> Set<String> {
        var v = Set(words(tool.name) + words(tool.description))
        func walk(_ schema: ToolSchema) {
            switch schema {
            case .object(let properties):
                for p in properties { v.formUnion(words(p.name)); walk(p.schema) }
            case .array(let items, _):
                walk(items)
            case .enumeration(let values):
                for case .string(let s) in values { v.formUnion(words(s)) }
            default:
                break
            }
        }
        walk(tool.parameters)
        return Set(v.filter { $0.count > 1 && !stopWords.contains($0) }.map(stem))
    }

    /// Lower-case runs of letters and digits; "_", apostrophes and punctuation split them.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for c in text.lowercased().unicodeScalars {
            if c.properties.isAlphabetic || ("0"..."9").contains(c) {
                current.unicodeScalars.append(c)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The words of each clause (split at . ! ? ; , dashes and line ends).
    private static func clauseWords(_ line: String) -> [[String]] {
        var clauses: [String] = [""]
        for c in line {
            if ".!?;,\n—–".contains(c) { clauses.append("") } else { clauses[clauses.count - 1].append(c) }
        }
        return clauses.map(words).filter { !$0.isEmpty }
    }

    /// Plural to singular, enough to match "torches" with "torch" and "horseshoes" with "horseshoe".
    static func stem(_ w: String) -> String {
        if w.hasSuffix("ies") && w.count > 4 { return String(w.dropLast(3)) + "y" }
        for suffix in ["ches", "shes", "xes", "sses", "zes"] where w.hasSuffix(suffix) { return String(w.dropLast(2)) }
        if w.hasSuffix("s") && !w.hasSuffix("ss") && w.count > 3 { return String(w.dropLast()) }
        return w
    }
}
