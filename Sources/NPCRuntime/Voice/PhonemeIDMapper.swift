/// Piper's phoneme → id mapping: `^`, `_`, then each phoneme's ids followed by
/// `_`, then `$`. A phoneme is one Unicode scalar (the phonemizer stage has
/// already decomposed espeak's output, so a combining accent is its own
/// phoneme, as in Piper); a phoneme the voice does not know is skipped and
/// counted.
public struct PhonemeIDMapper: Sendable {
    public static let pad = "_"
    public static let bos = "^"
    public static let eos = "$"

    /// The ids of one phoneme string and what was dropped on the way.
    public struct Result: Sendable, Equatable {
        public var ids: [Int]
        /// Phonemes absent from the voice's map, in order of appearance (skipped).
        public var missing: [Unicode.Scalar]
        public init(ids: [Int], missing: [Unicode.Scalar]) {
            self.ids = ids
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
        var missing: [Unicode.Scalar] = []
        for scalar in phonemes.unicodeScalars {
            guard let mapped = map[scalar] else {
                missing.append(scalar)
                continue
            }
            ids.append(contentsOf: mapped)
            ids.append(contentsOf: padIDs)
        }
        ids.append(contentsOf: eosIDs)
        return Result(ids: ids, missing: missing)
    }
}
