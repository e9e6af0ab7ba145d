/// The 15 mouth shapes of the Oculus/Meta lip-sync set (OVR), the set most
/// game engines and avatar rigs have blend shapes for.
public enum Viseme: String, Sendable, CaseIterable {
    case sil
    /// p, b, m
    case PP
    /// f, v
    case FF
    /// θ, ð
    case TH
    /// t, d
    case DD
    /// k, g
    case kk
    /// tʃ, dʒ, ʃ, ʒ
    case CH
    /// s, z
    case SS
    /// n, l
    case nn
    /// r
    case RR
    /// "car"
    case aa
    /// "bed"
    case E
    /// "tip"
    case ih
    /// "toe"
    case oh
    /// "book"
    case ou

    /// What one IPA symbol of the phonemizer's output does to the mouth.
    enum Role: Equatable {
        case shape(Viseme)
        /// Stress marks: they stand before the syllable they stress and take its shape.
        case next
        /// Length marks, secondary articulations, combining marks, word spaces and
        /// unknown letters: the mouth holds the shape before them.
        case previous
    }

    /// The role of one phoneme symbol (one Unicode scalar, as the voice's id map sees it).
    static func role(of phoneme: Unicode.Scalar) -> Role {
        if let shape = table[phoneme] { return .shape(shape) }
        switch phoneme {
        case "ˈ", "ˌ": return .next
        case " ": return .previous
        default: break
        }
        let p = phoneme.properties
        if p.isAlphabetic || p.generalCategory == .nonspacingMark || p.generalCategory == .modifierSymbol { return .previous }
        // Punctuation (, . ? ! ; : …) and anything else is a pause.
        return .shape(.sil)
    }

    /// IPA → viseme, by place of articulation for consonants and by openness and
    /// rounding for vowels; espeak-ng writes diphthongs and affricates as two
    /// symbols (aɪ, tʃ), each mapped on its own.
    private static let table: [Unicode.Scalar: Viseme] = {
        var t: [Unicode.Scalar: Viseme] = [:]
        func add(_ symbols: String, _ v: Viseme) { for s in symbols.unicodeScalars { t[s] = v } }
        add("pbmɓʙ", .PP)
        add("fvɸβɱʋ", .FF)
        add("θð", .TH)
        add("tdɾʈɖɗ", .DD)
        add("kgɡqɢŋxɣχʁhɦʔʕħ", .kk)
        add("ʃʒɕʑçʝ", .CH)
        add("szʂʐ", .SS)
        add("nlɫɬɮɭɲɳɴʎʟ", .nn)
        add("rɹɻʀɽɚɝ", .RR)
        add("aɑɐæʌəɶ", .aa)
        add("eɛɜœɞɘ", .E)
        add("iɪɨjɯ", .ih)
        add("oɔɒɵɤ", .oh)
        add("uʊʉwʍɥyʏø", .ou)
        return t
    }()
}

/// One stretch of a sentence's audio spoken with one mouth shape, in samples.
public struct VisemeSpan: Sendable, Equatable {
    public var viseme: Viseme
    /// First sample (inclusive).
    public var start: Int
    /// Last sample (exclusive).
    public var end: Int

    public init(viseme: Viseme, start: Int, end: Int) {
        self.viseme = viseme
        self.start = start
        self.end = end
    }
}
