/// Keeps the figures of a spoken reply to the ones its prompt holds. Asked something
/// its lore does not say, a small model invents a figure ("7 people live at the
/// abbey", "$10 per mile"); a price in the lore is spoken as written or not at all.
/// A number word or a run of digits that appears nowhere in the prompt (persona,
/// lore, conversation, the player's line) cannot be said. "One" stays free: it is
/// also a pronoun ("no one", "the old one").

/// The tokens that spell a figure: a number word (" twelve", "Hundred") or digits
/// ("7", " 42"). One walk over the vocabulary per tokenizer.
public struct FigureTokens: Sendable {
    enum Figure: Sendable, Equatable {
        /// Leading digits of the token ("2" for "2nd"); `whole` when the token is only digits.
        case digits(String, whole: Bool)
        case word(String)
    }
    let figures: [(id: Int32, figure: Figure)]
    private let wholeDigits: [Int32: String]

    public init(tokenizer: Tokenizer) {
        var pieces: [(Int32, [UInt8])] = []
        for i in 0..<tokenizer.vocabSize where !tokenizer.isControl(Int32(i)) {
            pieces.append((Int32(i), tokenizer.piece(Int32(i), renderSpecial: false)))
        }
        self.init(pieces: pieces)
    }

    /// For tests: the figure tokens of a made-up vocabulary.
    init(pieces: [(Int32, [UInt8])]) {
        var figures: [(Int32, Figure)] = []
        var wholeDigits: [Int32: String] = [:]
        for (id, bytes) in pieces {
            guard let figure = Self.figure(bytes) else { continue }
            figures.append((id, figure))
            if case let .digits(d, whole: true) = figure { wholeDigits[id] = d }
        }
        self.figures = figures
        self.wholeDigits = wholeDigits
    }

    static func figure(_ bytes: [UInt8]) -> Figure? {
        let body = bytes.drop { $0 == 0x20 }
        guard let first = body.first else { return nil }
        if first >= 0x30 && first <= 0x39 {
            let digits = body.prefix { $0 >= 0x30 && $0 <= 0x39 }
            return .digits(String(decoding: digits, as: UTF8.self), whole: digits.count == body.count)
        }
        let word = String(decoding: body, as: UTF8.self).lowercased()
        return NumberWords.values[word] != nil && word != "one" ? .word(word) : nil
    }

    /// The digit tokens that take `run` further toward one of `numbers`.
    func continuations(of run: String, into numbers: [String]) -> [Int32] {
        wholeDigits.compactMap { id, d in numbers.contains { $0.hasPrefix(run + d) } ? id : nil }
    }

    /// The digits the reply ends with, when its last tokens are digit tokens.
    func trailingDigits(_ reply: ArraySlice<Int32>) -> String {
        var run: [String] = []
        for id in reply.reversed() {
            guard let d = wholeDigits[id] else { break }
            run.append(d)
        }
        return run.reversed().joined()
    }
}

public struct GroundedFigures: LogitsProcessor {
    let tokens: FigureTokens
    let words: Set<String>
    let digitStrings: [String]
    /// The figure tokens banned while no digit run is open: most of a reply, so
    /// the per-token step is a list of writes, not a pass of string tests.
    let bannedAtRest: [Int32]
    /// Context length when the reply starts.
    let promptCount: Int

    public init(tokens: FigureTokens, groundedIn text: String, promptCount: Int) {
        self.tokens = tokens
        self.promptCount = promptCount
        let (words, digits) = Self.figures(in: text)
        let numbers = digits.sorted()
        self.words = words
        digitStrings = numbers
        bannedAtRest = tokens.figures.compactMap { id, figure in
            Self.allows(figure, after: "", words: words, numbers: numbers) ? nil : id
        }
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        let start = history.startIndex + max(0, min(promptCount, history.count))
        let run = tokens.trailingDigits(history[start...])
        guard !run.isEmpty else {
            for id in bannedAtRest where Int(id) < logits.count { logits[Int(id)] = -.infinity }
            return
        }
        if !digitStrings.contains(run) {
            // "9" of a grounded "90" must go on to the whole number, not stop at "9"
            let next = tokens.continuations(of: run, into: digitStrings).filter { Int($0) < logits.count }
            if !next.isEmpty {
                let kept = next.map { ($0, logits[Int($0)]) }
                for i in 0..<logits.count { logits[i] = -.infinity }
                for (id, value) in kept { logits[Int(id)] = value }
                return
            }
        }
        for (id, figure) in tokens.figures where Int(id) < logits.count
            && !Self.allows(figure, after: run, words: words, numbers: digitStrings) {
            logits[Int(id)] = -.infinity
        }
    }

    /// A number word the prompt holds, or digits that take `run` toward one of its numbers.
    static func allows(_ figure: FigureTokens.Figure, after run: String, words: Set<String>, numbers: [String]) -> Bool {
        switch figure {
        case let .word(w): return words.contains(w)
        case let .digits(d, _):
            let number = run + d
            return numbers.contains { $0.hasPrefix(number) }
        }
    }

    /// The number words and digit strings a text holds, each also in its other
    /// spelling ("12" allows "twelve"; "two hundred" allows "200").
    static func figures(in text: String) -> (words: Set<String>, digits: Set<String>) {
        var words: Set<String> = []
        var digits: Set<String> = []
        var values: [UInt64] = []
        var run: [String] = []
        func endRun() {
            if let v = value(of: run) { values.append(v) }
            run.removeAll()
        }
        var token = ""
        func endToken() {
            defer { token = "" }
            guard !token.isEmpty else { return }
            if token.first?.isASCII == true, token.first?.isNumber == true {
                endRun()
                digits.insert(token)
                if let v = UInt64(token) { values.append(v) }
            } else if NumberWords.values[token] != nil {
                words.insert(token)
                run.append(token)
            } else if token != "and" || run.last != "hundred" {  // "two hundred and five" is one figure
                endRun()
            }
        }
        for ch in text.lowercased() {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                if let last = token.last, last.isNumber != ch.isNumber { endToken() }
                token.append(ch)
            } else {
                endToken()
                if ch != "-" && ch != " " { endRun() }
            }
        }
        endToken()
        endRun()
        for v in values where v <= 999_999_999 {
            digits.insert(String(v))
            for w in NumberWords.cardinal(v).split(whereSeparator: { $0 == " " || $0 == "-" }) { words.insert(String(w)) }
        }
        return (words, digits)
    }

    /// The value of a run of number words ("two hundred and five" → 205), nil if it is
    /// none or too large for 64 bits (a player can type "hundred" twenty times).
    static func value(of run: [String]) -> UInt64? {
        guard !run.isEmpty else { return nil }
        var total: UInt64 = 0, current: UInt64 = 0
        func checked(_ r: (partialValue: UInt64, overflow: Bool)) -> UInt64? { r.overflow ? nil : r.partialValue }
        for w in run {
            guard let v = NumberWords.values[w] else { return nil }
            if v == 100 {
                guard let c = checked(max(current, 1).multipliedReportingOverflow(by: 100)) else { return nil }
                current = c
            } else if v >= 1000 {
                guard let scaled = checked(max(current, 1).multipliedReportingOverflow(by: v)),
                      let t = checked(total.addingReportingOverflow(scaled)) else { return nil }
                total = t
                current = 0
            } else {
                guard let c = checked(current.addingReportingOverflow(v)) else { return nil }
                current = c
            }
        }
        return checked(total.addingReportingOverflow(current))
    }
}
