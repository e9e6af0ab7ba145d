import NPCRuntime

/// What a turn needs, read from the player's line and the NPC's shape alone:
/// counting and comparing, inference, a fact from the NPC's lore, or an action.
/// Each cue that fires adds its weight: the expected gain in success from
/// sending such a turn to the remote model rather than answering locally.
/// A score in 0...1 and the cues behind it.
public struct TurnDifficulty: Sendable, Equatable {
    public var score: Double
    public var cues: [String]

    public init(_ request: RouteRequest) {
        let words = Self.words(request.line)
        let set = Set(words)
        var cues: [String] = []
        let asksFact = request.line.contains("?") || words.first.map(Self.questionStarts.contains) == true
        if words.contains(where: { $0.first?.isNumber == true }) || !set.isDisjoint(with: Self.numberWords) {
            cues.append("numbers")
        }
        if !set.isDisjoint(with: Self.counting) || Self.phrases(words, Self.countingPhrases) {
            cues.append("counting or comparing")
        }
        if !set.isDisjoint(with: Self.inference) { cues.append("inference") }
        if asksFact && request.knowledgeLines > 0 {
            // with the lore at hand: does the question touch it, or go beyond it?
            let touches = request.knowledge.isEmpty || Self.sharesContentWord(words, request.knowledge)
            cues.append(touches ? "asks about the NPC's lore" : "asks beyond the NPC's lore")
        }
        if request.toolCount > 0 && (!set.isDisjoint(with: Self.requests) || Self.phrases(words, Self.requestPhrases)) {
            cues.append("asks the NPC to act")
        }
        if words.count > 18 { cues.append("long line") }
        if request.historyExchanges > 0 && !set.isDisjoint(with: Self.backReferences) { cues.append("refers back") }
        if words.count <= 8 && !asksFact && !set.isDisjoint(with: Self.smallTalk) { cues.append("small talk") }
        self.score = min(1, max(0, cues.reduce(Self.intercept) { $0 + (Self.weights[$1] ?? 0) }))
        self.cues = cues
    }

    // Fitted by `scripts/train-router.py --ridge 4 --cues` on eval/router (136 cases; local
    // SmolLM2-135M, remote Qwen2.5-0.5B on llama-server; BENCHMARKS.md). Lore
    // questions and small talk gain most from the larger model; sums and counts
    // fail on both, so they stay local. Refit when the models or the cues change.
    /// The gain of a turn with no cue.
    public static let intercept = 0.221
    /// The gain each cue adds.
    public static let weights: [String: Double] = [
        "asks about the NPC's lore": 0.111,
        "asks beyond the NPC's lore": 0.183,
        "asks the NPC to act": -0.141,
        "counting or comparing": -0.263,
        "inference": -0.030,
        "long line": -0.016,
        "numbers": -0.170,
        "refers back": 0.060,
        "small talk": 0.129,
    ]

    /// Lowercased words (letters, digits, apostrophes), at most 256.
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var word = ""
        for ch in line.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "'" {
                word.append(ch)
            } else if !word.isEmpty {
                out.append(word)
                word = ""
                if out.count == 256 { return out }
            }
        }
        if !word.isEmpty { out.append(word) }
        return out
    }

    /// A word of at least four letters (not a function word) that the lore also
    /// has, compared without a plural "s" and on its first five letters, so
    /// "rooms" meets "room" and "fishing" meets "fisher".
    static func sharesContentWord(_ words: [String], _ knowledge: [String]) -> Bool {
        func stems(_ ws: [String]) -> Set<Substring> {
            Set(ws.filter { $0.count >= 4 && !functionWords.contains($0) }.map { w in
                (w.count > 4 && w.hasSuffix("s") ? Substring(w).dropLast() : Substring(w)).prefix(5)
            })
        }
        let lore = stems(knowledge.flatMap { Self.words($0) })
        return !stems(words).isDisjoint(with: lore)
    }

    static func phrases(_ words: [String], _ list: [[String]]) -> Bool {
        list.contains { phrase in
            words.count >= phrase.count && (0...(words.count - phrase.count)).contains { i in
                zip(phrase, words[i...]).allSatisfy { $0 == $1 }
            }
        }
    }

    static let numberWords: Set<String> = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                           "eleven", "twelve", "twenty", "thirty", "fifty", "hundred", "dozen", "half",
                                           "twice", "double", "pair", "couple", "both", "third", "fourth"]
    static let counting: Set<String> = ["total", "altogether", "together", "sum", "each", "per", "owe", "change", "left",
                                        "remaining", "cheaper", "cheapest", "dearer", "more", "less", "fewer", "difference",
                                        "split", "every", "plus", "minus", "times", "longer", "shorter", "faster", "earlier",
                                        "later", "afford", "enough", "cost", "costs"]
    static let countingPhrases: [[String]] = [["how", "much"], ["how", "many"], ["how", "long"], ["how", "far"]]
    static let inference: Set<String> = ["if", "would", "which", "why", "because", "whether", "best", "should", "unless",
                                         "otherwise", "instead", "then"]
    static let questionStarts: Set<String> = ["what", "where", "when", "who", "whom", "whose", "why", "how", "which", "is",
                                              "are", "do", "does", "did", "can", "could", "will", "would", "have", "has"]
    static let requests: Set<String> = ["give", "sell", "buy", "rent", "book", "take", "want", "need", "open", "lend",
                                        "borrow", "repair", "fix", "hire", "pay", "bring", "serve", "send", "issue",
                                        "assign", "fetch", "mend", "order", "reserve", "i'll", "let"]
    static let requestPhrases: [[String]] = [["i'd", "like"], ["i", "would", "like"], ["can", "i", "have"], ["could", "i", "have"]]
    static let functionWords: Set<String> = ["what", "where", "when", "which", "whose", "there", "their", "they", "them",
                                             "this", "that", "these", "those", "with", "from", "have", "does", "would",
                                             "could", "should", "about", "your", "yours", "here", "will", "shall", "been",
                                             "were", "into", "onto", "than", "then", "just", "some", "much", "many",
                                             "tell", "know", "please", "good", "well", "like", "very", "also", "only"]
    static let backReferences: Set<String> = ["it", "that", "those", "them", "one", "same", "again"]
    static let smallTalk: Set<String> = ["hello", "hi", "hey", "greetings", "evening", "morning", "afternoon", "thanks",
                                         "thank", "bye", "goodbye", "farewell", "cheers", "weather", "lovely", "nice"]
}
