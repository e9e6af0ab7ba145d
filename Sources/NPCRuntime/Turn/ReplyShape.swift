/// Logits processors that shape a spoken reply: it ends on a whole sentence
/// within its token budget, it does not say the same phrase twice, and it does
/// not open with markup.

/// Token classes that shape speech, from one walk over the vocabulary (once per
/// tokenizer): which tokens end a sentence (their text ends in ".", "!" or "?",
/// possibly followed by closing quotes, brackets or spaces: ". ", "!\"", "?)"), and
/// which open markup ("{", "[", "<", "`" after leading spaces), which never starts
/// spoken words: a small model that writes a call as JSON text instead of calling.
public struct SpeechTokens: Sendable {
    public let isEnd: [Bool]
    /// Tokens that are only spaces and line breaks.
    public let isSpace: [Bool]
    public let markupOpeners: [Int32]

    public init(tokenizer: Tokenizer) {
        var isEnd = [Bool](repeating: false, count: tokenizer.vocabSize)
        var isSpace = isEnd
        var openers: [Int32] = []
        for i in 0..<tokenizer.vocabSize where !tokenizer.isControl(Int32(i)) {
            let piece = tokenizer.piece(Int32(i), renderSpecial: false)
            isEnd[i] = Self.endsSentence(piece)
            isSpace[i] = !piece.isEmpty && piece.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
            if let first = piece.first(where: { $0 != 0x20 }), [0x7B, 0x5B, 0x3C, 0x60].contains(first) { openers.append(Int32(i)) }
        }
        self.isEnd = isEnd
        self.isSpace = isSpace
        markupOpeners = openers
    }

    /// For tests: the classes of a made-up vocabulary.
    init(isEnd: [Bool], isSpace: [Bool] = [], markupOpeners: [Int32] = []) {
        self.isEnd = isEnd
        self.isSpace = isSpace
        self.markupOpeners = markupOpeners
    }

    func isSpace(_ id: Int32) -> Bool { id >= 0 && Int(id) < isSpace.count && isSpace[Int(id)] }

    static func endsSentence(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        // closing quotes, brackets and spaces after the mark: " ' ) ] and the UTF-8 of ” ’
        while end > 0 {
            let b = bytes[end - 1]
            if b == 0x20 || b == 0x22 || b == 0x27 || b == 0x29 || b == 0x5D || b == 0x0A {
                end -= 1
            } else if end >= 3, bytes[end - 3] == 0xE2, bytes[end - 2] == 0x80, b == 0x9D || b == 0x99 {
                end -= 3
            } else {
                break
            }
        }
        guard end > 0 else { return false }
        let mark = bytes[end - 1]
        return mark == 0x2E || mark == 0x21 || mark == 0x3F  // . ! ?
    }

    public func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < isEnd.count && isEnd[Int(id)] }
}

/// Steers a reply to end on a whole sentence within `budget` generated tokens, so
/// the token limit never cuts the NPC off mid-sentence; a stop token may only
/// follow a sentence end. Over the last quarter of
/// the budget (at most 24 tokens) sentence ends are favoured, more as the end
/// nears; in the last few tokens only a sentence end may come; and once a sentence
/// has ended in that stretch, or the reply has said `maxSentences` sentences
/// (0: no limit), only a stop token.
public struct SentenceEndSteer: LogitsProcessor {
    let ends: SpeechTokens
    let stopTokens: [Int32]
    /// Context length when the reply starts (history counts the prompt too).
    let promptCount: Int
    let steerFrom: Int
    let forceFrom: Int
    let maxSentences: Int

    static let maxBias: Float = 8

    public init(ends: SpeechTokens, stopTokens: some Sequence<Int32>, promptCount: Int, budget: Int, maxSentences: Int = 0) {
        self.ends = ends
        self.maxSentences = max(0, maxSentences)
        self.stopTokens = Array(Set(stopTokens)).sorted()
        self.promptCount = promptCount
        let budget = max(1, budget)
        forceFrom = budget - max(1, min(6, budget / 8))
        steerFrom = min(forceFrom, budget - min(24, budget / 4))
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        let generated = history.count - promptCount
        guard generated > 0, !stopTokens.isEmpty else { return }
        let lastEndsSentence = history.suffix(generated).last { !ends.isSpace($0) }.map(ends.contains) ?? false
        if lastEndsSentence && maxSentences > 0 && sentencesSaid(history) >= maxSentences {
            keepOnly(stopTokens, logits)
            return
        }
        // never stop mid-sentence: a one-word answer gets its full stop ("Pip.")
        if !lastEndsSentence {
            for id in stopTokens where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
        }
        guard generated >= steerFrom else { return }
        if lastEndsSentence {
            keepOnly(stopTokens, logits)
            return
        }
        if generated >= forceFrom {
            for i in 0..<logits.count where !ends.isEnd[i] && !stopTokens.contains(Int32(i)) { logits[i] = -.infinity }
            return
        }
        let ramp = Float(generated - steerFrom + 1) / Float(max(1, forceFrom - steerFrom))
        let bias = Self.maxBias * min(1, ramp)
        for i in 0..<min(logits.count, ends.isEnd.count) where ends.isEnd[i] { logits[i] += bias }
    }

    /// Sentence ends in the reply so far (a run of them, "?!", counts once).
    private func sentencesSaid(_ history: ArraySlice<Int32>) -> Int {
        var count = 0
        var previousWasEnd = false
        for id in history.suffix(max(0, history.count - promptCount)) {
            let isEnd = ends.contains(id)
            if isEnd && !previousWasEnd { count += 1 }
            previousWasEnd = isEnd
        }
        return count
    }

    private func keepOnly(_ allowed: [Int32], _ logits: UnsafeMutableBufferPointer<Float>) {
        let kept = allowed.filter { $0 >= 0 && Int($0) < logits.count }.map { ($0, logits[Int($0)]) }
        for i in 0..<logits.count { logits[i] = -.infinity }
        for (id, value) in kept { logits[Int(id)] = value }
    }
}

/// Forbids a token that would repeat a phrase of `n` tokens already said in this
/// reply (from `promptCount` on): small models loop ("I am a fence." nine times),
/// and a per-token penalty alone does not stop a whole phrase coming back.
public struct RepeatedPhraseBlock: LogitsProcessor {
    public let n: Int
    let promptCount: Int

    public init(n: Int, promptCount: Int) {
        self.n = max(2, n)
        self.promptCount = promptCount
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        let start = history.startIndex + max(0, min(promptCount, history.count))
        let reply = history[start...]
        guard reply.count >= n else { return }
        // the last n-1 tokens, and every earlier place they occur: the token after is banned
        let keyStart = reply.endIndex - (n - 1)
        var i = reply.startIndex
        while i + n - 1 < reply.endIndex {
            if reply[i..<(i + n - 1)].elementsEqual(reply[keyStart...]) {
                let next = reply[i + n - 1]
                if next >= 0 && Int(next) < logits.count { logits[Int(next)] = -.infinity }
            }
            i += 1
        }
    }
}

/// Forbids markup openers as a reply's first token: spoken words never start
/// with "{" or "<", and a small model that starts that way is writing a call
/// (or its result) as text, which the voice would read out.
public struct LeadingMarkupMask: LogitsProcessor {
    let banned: [Int32]
    let promptCount: Int

    public init(tokens: SpeechTokens, promptCount: Int) {
        banned = tokens.markupOpeners
        self.promptCount = promptCount
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        guard history.count == promptCount else { return }
        for id in banned where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
    }
}

/// Lowers the words of a chat assistant ("assist", "AI", "chatbot") in a character's
/// speech: small instruct models fall back to "How can I assist you today?" and "I
/// can't assist with that", which no innkeeper says. A penalty, not a ban: a squire
/// may still offer to assist.
public struct AssistantRegisterPenalty: LogitsProcessor {
    static let words: Set<String> = ["assist", "assistance", "assistant", "ai", "chatbot", "openai"]
    static let penalty: Float = 6
    let ids: [Int32]

    public init(tokenizer: Tokenizer) {
        var ids: [Int32] = []
        for i in 0..<tokenizer.vocabSize where !tokenizer.isControl(Int32(i)) {
            let text = String(decoding: tokenizer.piece(Int32(i), renderSpecial: false).drop { $0 == 0x20 }, as: UTF8.self)
            if Self.words.contains(text.lowercased()) { ids.append(Int32(i)) }
        }
        self.ids = ids
    }

    init(ids: [Int32]) { self.ids = ids }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        for id in ids where Int(id) < logits.count { logits[Int(id)] -= Self.penalty }
    }
}
