// The standard library's canonical decomposition (the SPI swift-foundation
// uses for NFD) spares the library its own copy of the Unicode tables.
@_spi(_Unicode) import Swift

/// Groups phonemized clauses into sentences exactly as Piper does: each
/// clause's phonemes get its terminator appended (plus a space after ',' ':'
/// ';'), are decomposed to NFD so accents become phonemes of their own, and a
/// sentence-ending clause closes the sentence. Raw phoneme blocks (`[[ … ]]`
/// in the text) join the current sentence, with a space on a side where the
/// text next to them had one; the text after a block continues its sentence.
struct PhonemeSentenceAssembler {
    struct Sentence: Equatable {
        var text: String
        var phonemes: String
    }

    private var sentences: [Sentence] = []
    private var previousWasRaw = false

    /// Adds the clauses of one run of text.
    mutating func append(clauses: [PhonemeClause]) {
        var part: [Sentence] = []
        var current = Sentence(text: "", phonemes: "")
        var open = false
        for clause in clauses {
            current.text += clause.text
            current.phonemes.unicodeScalars.append(contentsOf: (clause.phonemes + clause.terminator.appended)._nfd)
            open = true
            if clause.endsSentence {
                part.append(current)
                current = Sentence(text: "", phonemes: "")
                open = false
            }
        }
        if open { part.append(current) }

        if previousWasRaw, let first = part.first, !sentences.isEmpty {
            sentences[sentences.count - 1].text += first.text
            sentences[sentences.count - 1].phonemes += first.phonemes
            part.removeFirst()
        }
        sentences.append(contentsOf: part)
        previousWasRaw = false
    }

    /// Adds a raw phoneme block (its content is used as is, trimmed).
    mutating func appendRaw(_ phonemes: String, source: String, spaceBefore: Bool, spaceAfter: Bool) {
        if sentences.isEmpty { sentences.append(Sentence(text: "", phonemes: "")) }
        let last = sentences.count - 1
        if spaceBefore { sentences[last].phonemes += " " }
        sentences[last].phonemes += Self.trimmed(phonemes)
        if spaceAfter { sentences[last].phonemes += " " }
        sentences[last].text += source
        previousWasRaw = true
    }

    /// The sentences with any phonemes, in order; source texts trimmed.
    func finish() -> [Sentence] {
        sentences.compactMap { s in
            s.phonemes.isEmpty ? nil : Sentence(text: Self.trimmed(s.text), phonemes: s.phonemes)
        }
    }

    static func trimmed(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
