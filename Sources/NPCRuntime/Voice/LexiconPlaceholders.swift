/// Applies a pronunciation lexicon without cutting the sentence apart.
///
/// Phonemizing the text around a lexicon word separately would change the
/// words next to it ("to" before a vowel, stress at a clause end) and lose
/// the punctuation after it. Instead each lexicon word is replaced by a
/// nonsense stand-in that starts like the real pronunciation (with a vowel
/// or a consonant), the whole text is phonemized, and the stand-in's phonemes
/// are swapped for the lexicon's. The stand-ins' phonemes are measured from
/// the phonemizer itself, so this works for any phonemizer that writes one
/// space-separated token per word; when it cannot be matched, the caller
/// falls back to Piper's raw-phoneme splitting.
struct LexiconPlaceholders: Sendable {
    static let consonantWord = "zorbex"
    static let vowelWord = "orbex"

    /// The stand-ins' phonemes without stress marks, as this phonemizer says them.
    private let consonantForm: [Unicode.Scalar]
    private let vowelForm: [Unicode.Scalar]

    /// Measures the stand-ins; nil when the phonemizer does not render each
    /// as a single token.
    init?(phonemizer: any Phonemizer) {
        guard let c = Self.singleToken(phonemizer, Self.consonantWord),
              let v = Self.singleToken(phonemizer, Self.vowelWord),
              !Self.hasPrefix(c, v), !Self.hasPrefix(v, c) else { return nil }
        consonantForm = c
        vowelForm = v
    }

    private static func singleToken(_ phonemizer: any Phonemizer, _ word: String) -> [Unicode.Scalar]? {
        guard let clauses = try? phonemizer.phonemize(word), clauses.count == 1,
              let only = clauses.first else { return nil }
        let form = withoutStress(only.phonemes.unicodeScalars)
        guard !form.isEmpty, !form.contains(where: { $0.properties.isWhitespace }) else { return nil }
        return form
    }

    /// `text` with every match replaced by a stand-in (keeping an initial capital,
    /// which espeak reads as a possible sentence start).
    func substitute(_ scalars: [Unicode.Scalar], matches: [PronunciationLexicon.Match]) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        for match in matches {
            out.append(contentsOf: scalars[i..<match.range.lowerBound])
            var stand = Self.startsWithVowel(match.ipa) ? Self.vowelWord : Self.consonantWord
            if scalars[match.range.lowerBound].properties.isUppercase {
                stand = stand.prefix(1).uppercased() + stand.dropFirst()
            }
            out.append(contentsOf: stand.unicodeScalars)
            i = match.range.upperBound
        }
        out.append(contentsOf: scalars[i...])
        return String(out)
    }

    /// Swaps the stand-ins' phonemes for the lexicon's, in order; nil when the
    /// stand-ins found do not line up with the matches one to one.
    func restore(_ clauses: [PhonemeClause], matches: [PronunciationLexicon.Match]) -> [PhonemeClause]? {
        var next = 0
        var nextText = 0
        var restored = clauses
        for c in restored.indices {
            var tokens = restored[c].phonemes.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            for t in tokens.indices {
                let token = Array(tokens[t].unicodeScalars)
                let bare = Self.withoutStress(token[...])
                guard next < matches.count else {
                    if Self.hasPrefix(bare, consonantForm) || Self.hasPrefix(bare, vowelForm) { return nil }
                    continue
                }
                let form = Self.startsWithVowel(matches[next].ipa) ? vowelForm : consonantForm
                guard Self.hasPrefix(bare, form) else {
                    let other = form == vowelForm ? consonantForm : vowelForm
                    if Self.hasPrefix(bare, other) { return nil }
                    continue
                }
                // Keep what follows the stand-in inside the token (a compound); a
                // possessive is said after the real word's last sound, not the stand-in's.
                var consumed = 0
                var cut = 0
                while cut < token.count && consumed < form.count {
                    if !Self.isStress(token[cut]) { consumed += 1 }
                    cut += 1
                }
                let rest = matches[next].possessive ? Self.possessiveEnding(after: matches[next].ipa)
                    : String(String.UnicodeScalarView(token[cut...]))
                tokens[t] = matches[next].ipa + rest
                next += 1
            }
            restored[c].phonemes = tokens.joined(separator: " ")
            restored[c].text = restoreText(restored[c].text, matches: matches, next: &nextText)
        }
        return next == matches.count ? restored : nil
    }

    /// Puts the original words back into a clause's source text.
    private func restoreText(_ text: String, matches: [PronunciationLexicon.Match], next used: inout Int) -> String {
        guard used < matches.count else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if PronunciationLexicon.isWordCharacter(scalars[i]) {
                let end = PronunciationLexicon.wordEnd(in: scalars, from: i)
                var wordEnd = end
                if end - i > 2, scalars[end - 1] == "s" || scalars[end - 1] == "S",
                   PronunciationLexicon.isApostrophe(scalars[end - 2]) {
                    wordEnd = end - 2
                }
                let word = String(String.UnicodeScalarView(scalars[i..<wordEnd])).lowercased()
                if word == Self.consonantWord || word == Self.vowelWord, used < matches.count {
                    out.append(contentsOf: matches[used].word.unicodeScalars)
                    out.append(contentsOf: scalars[wordEnd..<end])
                    used += 1
                } else {
                    out.append(contentsOf: scalars[i..<end])
                }
                i = end
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    /// English "'s": "ᵻz" after a sibilant, "s" after another voiceless sound, else "z".
    static func possessiveEnding(after ipa: String) -> String {
        let sounds = ipa.unicodeScalars.filter { !isStress($0) && !$0.properties.isWhitespace && $0 != "ː" }
        guard let last = sounds.last else { return "z" }
        if "szʃʒ".unicodeScalars.contains(last) { return "ᵻz" }
        if "ptkfθ".unicodeScalars.contains(last) { return "s" }
        return "z"
    }

    static func isStress(_ c: Unicode.Scalar) -> Bool { c == "\u{2C8}" || c == "\u{2CC}" }

    static func withoutStress<S: Sequence>(_ s: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        s.filter { !isStress($0) }
    }

    static func hasPrefix(_ s: [Unicode.Scalar], _ prefix: [Unicode.Scalar]) -> Bool {
        s.count >= prefix.count && s[..<prefix.count].elementsEqual(prefix)
    }

    /// Whether an IPA pronunciation begins with a vowel (after stress marks).
    static func startsWithVowel(_ ipa: String) -> Bool {
        guard let first = ipa.unicodeScalars.first(where: { !isStress($0) && !$0.properties.isWhitespace }) else { return false }
        return "aeiouyæɑɐɒɔəɚɛɜɝɞɘɪɨʉʊʌɯɤøœɶᵻɵʏ".unicodeScalars.contains(first)
    }
}
