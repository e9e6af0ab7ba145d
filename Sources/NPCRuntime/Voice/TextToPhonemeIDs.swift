/// One sentence ready for the voice model: Piper synthesizes each separately.
public struct PhonemizedSentence: Sendable, Equatable {
    /// The (normalized) text the sentence came from.
    public var text: String
    /// The sentence's phonemes, one Unicode scalar per phoneme, as Piper joins them.
    public var phonemes: String
    /// `^ _ p1 _ p2 _ … $`: the model's input.
    public var ids: [Int]
    /// For each phoneme with an id, the id positions it produced (for lip sync:
    /// the model's per-id durations summed over a span give that phoneme's length).
    public var spans: [PhonemeIDMapper.Span]
    /// Phonemes the voice has no id for (skipped, as Piper skips them).
    public var missingPhonemes: [Unicode.Scalar]

    public init(text: String, phonemes: String, ids: [Int], spans: [PhonemeIDMapper.Span] = [],
                missingPhonemes: [Unicode.Scalar] = []) {
        self.text = text
        self.phonemes = phonemes
        self.ids = ids
        self.spans = spans
        self.missingPhonemes = missingPhonemes
    }
}

/// Game text → phoneme-id sequences, one per sentence: normalization, the
/// pronunciation lexicon, the phonemizer, Piper's sentence assembly and its id
/// map. Text inside `[[ … ]]` is taken as phonemes, as in Piper.
public struct TextToPhonemeIDs: Sendable {
    public let phonemizer: any Phonemizer
    /// nil: the text goes to the phonemizer as written (Piper's behaviour).
    public let normalizer: TextNormalizer?
    public let lexicon: PronunciationLexicon
    public let mapper: PhonemeIDMapper
    private let placeholders: LexiconPlaceholders?

    /// - phonemizer: nil for espeak-ng with the voice's `espeak.voice`.
    public init(config: VoiceConfig, phonemizer: (any Phonemizer)? = nil,
                normalizer: TextNormalizer? = TextNormalizer(),
                lexicon: PronunciationLexicon = PronunciationLexicon()) throws(RuntimeError) {
        let chosen: any Phonemizer
        if let phonemizer {
            chosen = phonemizer
        } else {
            guard config.phonemeType == .espeak else {
                throw RuntimeError(.voice, "this voice uses phoneme_type \"\(config.phonemeType.rawValue)\"; give it a phonemizer")
            }
            chosen = try EspeakPhonemizer(voice: config.espeakVoice)
        }
        try self.init(phonemizer: chosen, mapper: PhonemeIDMapper(config: config), normalizer: normalizer, lexicon: lexicon)
    }

    public init(phonemizer: any Phonemizer, mapper: PhonemeIDMapper,
                normalizer: TextNormalizer? = TextNormalizer(),
                lexicon: PronunciationLexicon = PronunciationLexicon()) throws(RuntimeError) {
        self.phonemizer = phonemizer
        self.normalizer = normalizer
        self.lexicon = lexicon
        self.mapper = mapper
        placeholders = lexicon.isEmpty ? nil : LexiconPlaceholders(phonemizer: phonemizer)
    }

    private enum Segment {
        case text(String)
        /// Phonemes given directly, and the source text they stand for.
        case phonemes(String, source: String)

        var text: String? { if case let .text(t) = self { return t }; return nil }
    }

    /// The sentences of `text`, in order; empty for text with nothing to say.
    public func sentences(for text: String) throws(RuntimeError) -> [PhonemizedSentence] {
        var work = Self.splitRawBlocks(text).map { segment -> Segment in
            guard case let .text(t) = segment, let normalizer else { return segment }
            return .text(Self.keepingOuterSpaces(of: t, normalizer.normalize(t)))
        }
        var assembler = PhonemeSentenceAssembler()
        var i = 0
        while i < work.count {
            switch work[i] {
            case let .phonemes(ipa, source):
                let before = i > 0 && (work[i - 1].text?.hasSuffix(" ") ?? false)
                let after = i + 1 < work.count && (work[i + 1].text?.hasPrefix(" ") ?? false)
                assembler.appendRaw(ipa, source: source, spaceBefore: before, spaceAfter: after)
            case let .text(t):
                let scalars = Array(t.unicodeScalars)
                let matches = lexicon.matches(in: scalars)
                if matches.isEmpty {
                    assembler.append(clauses: try phonemize(t))
                } else if let placeholders,
                          let clauses = placeholders.restore(try phonemize(placeholders.substitute(scalars, matches: matches)),
                                                             matches: matches) {
                    assembler.append(clauses: clauses)
                } else {
                    // The phonemizer's output could not be lined up with the lexicon
                    // words: cut them out as raw phoneme blocks instead.
                    work.replaceSubrange(i...i, with: Self.split(scalars, at: matches))
                    continue
                }
            }
            i += 1
        }
        return assembler.finish().map { sentence in
            let mapped = mapper.ids(for: sentence.phonemes)
            return PhonemizedSentence(text: sentence.text, phonemes: sentence.phonemes, ids: mapped.ids,
                                      spans: mapped.spans, missingPhonemes: mapped.missing)
        }
    }

    /// `text` as one utterance, whatever sentences the phonemizer finds in it: the
    /// runtime's sentence chunker has already decided where sentences end, and
    /// subtitles and speech must agree. nil for text with nothing to say.
    public func utterance(for text: String) throws(RuntimeError) -> PhonemizedSentence? {
        let parts = try sentences(for: text)
        guard parts.count > 1 else { return parts.first }
        let phonemes = parts.map(\.phonemes).joined(separator: " ")
        let mapped = mapper.ids(for: phonemes)
        return PhonemizedSentence(text: parts.map(\.text).joined(separator: " "), phonemes: phonemes, ids: mapped.ids,
                                  spans: mapped.spans, missingPhonemes: mapped.missing)
    }

    private func phonemize(_ text: String) throws(RuntimeError) -> [PhonemeClause] {
        do {
            return try phonemizer.phonemize(text)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(error.parleyKind, error.parleyMessage)
        }
    }

    /// Piper's `[[ … ]]` blocks: the shortest match, on one line.
    private static func splitRawBlocks(_ text: String) -> [Segment] {
        let scalars = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        while i + 1 < scalars.count {
            guard scalars[i] == "[" && scalars[i + 1] == "[" else { i += 1; continue }
            var j = i + 2
            var close: Int?
            while j + 1 < scalars.count && scalars[j] != "\n" {
                if scalars[j] == "]" && scalars[j + 1] == "]" { close = j; break }
                j += 1
            }
            guard let close else { i += 1; continue }
            segments.append(.text(String(String.UnicodeScalarView(scalars[textStart..<i]))))
            segments.append(.phonemes(String(String.UnicodeScalarView(scalars[(i + 2)..<close])),
                                      source: String(String.UnicodeScalarView(scalars[i..<(close + 2)]))))
            i = close + 2
            textStart = i
        }
        segments.append(.text(String(String.UnicodeScalarView(scalars[textStart...]))))
        return segments
    }

    /// Lexicon words as raw phoneme blocks between the text around them.
    private static func split(_ scalars: [Unicode.Scalar], at matches: [PronunciationLexicon.Match]) -> [Segment] {
        var segments: [Segment] = []
        var start = 0
        for match in matches {
            segments.append(.text(String(String.UnicodeScalarView(scalars[start..<match.range.lowerBound]))))
            segments.append(.phonemes(match.ipa, source: match.word))
            start = match.range.upperBound
        }
        segments.append(.text(String(String.UnicodeScalarView(scalars[start...]))))
        return segments
    }

    /// Normalization trims the text; the spaces at its ends still matter next
    /// to a raw phoneme block.
    private static func keepingOuterSpaces(of original: String, _ normalized: String) -> String {
        guard !normalized.isEmpty else { return original.contains(" ") ? " " : "" }
        let leading = original.unicodeScalars.first.map { $0.properties.isWhitespace } ?? false
        let trailing = original.unicodeScalars.last.map { $0.properties.isWhitespace } ?? false
        return (leading ? " " : "") + normalized + (trailing ? " " : "")
    }
}
