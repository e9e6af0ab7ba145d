/// Piper's phoneme → id mapping: `^`, `_`, then each phoneme's ids followed by
/// `_`, then `$`. A phoneme is one Unicode scalar (the phonemizer stage has
/// already decomposed espeak's output, so a combining accent is its own
/// phoneme, as in Piper); a phoneme the voice does not know is skipped and
/// counted.
public struct PhonemeIDMapper: Sendable {
    public static let pad = "_"
    public static let bos = "^"
    public static let eos = "$"

    /// Which id positions one phoneme produced: its own ids and the pad after
    /// it (Piper's alignment unit), so per-id durations become a phoneme timeline.
    public struct Span: Sendable, Equatable {
        public var phoneme: Unicode.Scalar
        public var ids: Range<Int>
        public init(phoneme: Unicode.Scalar, ids: Range<Int>) {
            self.phoneme = phoneme
            self.ids = ids
        }
    }

    /// The ids of one phoneme string and what was dropped on the way.
    public struct Result: Sendable, Equatable {
        public var ids: [Int]
        /// One span per mapped phoneme, in order; `^ _` before the first and `$`
        /// after the last belong to no phoneme.
        public var spans: [Span]
        /// Phonemes absent from the voice's map, in order of appearance (skipped).
        public var missing: [Unicode.Scalar]
        public init(ids: [Int], spans: [Span], missing: [Unicode.Scalar]) {
            self.ids = ids
            self.spans = spans
            self.missing = missing
        }
    }

    private let map: [Unicode.Scalar: [Int]]
    private let padIDs: [Int]
    private let bosIDs: [Int]
    private let eosIDs: [Int]

    public init(config: VoiceConfig) throws(RuntimeError) {
        try self.init(phonemeIDMap: config.phonemeIDMap)
    }

    /// Keys of more than one scalar cannot be produced by Piper's per-scalar
    /// split, so they are ignored (Piper ignores them too).
    public init(phonemeIDMap: [String: [Int]]) throws(RuntimeError) {
        guard let pad = phonemeIDMap[Self.pad], let bos = phonemeIDMap[Self.bos], let eos = phonemeIDMap[Self.eos] else {
            throw RuntimeError(.voice, "phoneme id map lacks one of the symbols \"_\", \"^\", \"$\"")
        }
        var scalars: [Unicode.Scalar: [Int]] = [:]
        for (key, ids) in phonemeIDMap {
            let s = key.unicodeScalars
            if s.count == 1, let only = s.first { scalars[only] = ids }
        }
        map = scalars
        padIDs = pad
        bosIDs = bos
        eosIDs = eos
    }

    /// True when the voice has an id for this phoneme.
    public func knows(_ phoneme: Unicode.Scalar) -> Bool { map[phoneme] != nil }

    /// Ids of one sentence's phonemes, one id group per Unicode scalar.
    public func ids(for phonemes: String) -> Result {
        var ids = bosIDs
        ids.append(contentsOf: padIDs)
        var spans: [Span] = []
        var missing: [Unicode.Scalar] = []
        for scalar in phonemes.unicodeScalars {
            guard let mapped = map[scalar] else {
                missing.append(scalar)
                continue
            }
            let start = ids.count
            ids.append(contentsOf: mapped)
            ids.append(contentsOf: padIDs)
            spans.append(Span(phoneme: scalar, ids: start..<ids.count))
        }
        ids.append(contentsOf: eosIDs)
        return Result(ids: ids, spans: spans, missing: missing)
    }
}
