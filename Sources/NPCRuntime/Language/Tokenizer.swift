/// Text ↔ token ids for a GGUF model, built only from its `tokenizer.ggml.*`
/// metadata and agreeing with llama.cpp. Stages: special-token splitting →
/// pre-tokenizer (byte-level BPE only) → model (BPE or SentencePiece) →
/// decoder (`PieceDecoder`).
public struct Tokenizer: Sendable {
    public enum Kind: String, Sendable {
        /// `tokenizer.ggml.model = gpt2`
        case bytePairEncoding = "bpe"
        /// `tokenizer.ggml.model = llama`
        case sentencePiece = "spm"
    }

    public let kind: Kind
    /// `tokenizer.ggml.pre` as used (byte-level BPE only).
    public let preTokenizerName: String?
    public let bos: Int32?
    public let eos: Int32?
    /// End of turn (`<|im_end|>`, `<end_of_turn>`, `<|eot_id|>` …).
    public let eot: Int32?
    public let unknown: Int32?
    public let padding: Int32?
    /// Every id that ends generation, ascending.
    public let endOfGeneration: [Int32]
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    let cleanSpaces: Bool

    let vocabulary: Vocabulary
    private let specials: SpecialTokenSplitter
    private let model: Model
    let pieces: PieceDecoder

    private enum Model: Sendable {
        case bytePair(BytePairModel)
        case sentencePiece(SentencePieceModel)
    }

    public var vocabSize: Int { vocabulary.count }

    public init(gguf: GGUFFile) throws(TokenizerError) {
        guard let modelName = gguf["tokenizer.ggml.model"]?.stringValue else {
            throw .missing("tokenizer.ggml.model")
        }
        var vocabulary = try Vocabulary(gguf: gguf)
        var ids = SpecialIDs()
        var bytePair: BytePairModel?
        let defaultAddBOS: Bool
        switch modelName {
        case "gpt2":
            kind = .bytePairEncoding
            let name = gguf["tokenizer.ggml.pre"]?.stringValue ?? "default"
            guard let entry = PreTokenizer.entry(named: name) else {
                let known = PreTokenizer.table.flatMap(\.names).joined(separator: ", ")
                throw .unsupported("pre-tokenizer \"\(name)\" (supported: \(known))")
            }
            bytePair = try BytePairModel(gguf: gguf, preTokenizer: PreTokenizer(patterns: entry.patterns),
                                         ignoreMerges: entry.ignoreMerges)
            preTokenizerName = name
            defaultAddBOS = entry.addBOS
            ids.bos = 11
            ids.eos = 11
            addSpacePrefix = gguf["tokenizer.ggml.add_space_prefix"]?.boolValue ?? false
            cleanSpaces = entry.cleanSpaces
        case "llama":
            kind = .sentencePiece
            preTokenizerName = nil
            defaultAddBOS = true
            ids.bos = 1
            ids.eos = 2
            ids.unknown = 0
            addSpacePrefix = gguf["tokenizer.ggml.add_space_prefix"]?.boolValue ?? true
            cleanSpaces = false
        default:
            throw .unsupported("tokenizer model \"\(modelName)\" (supported: gpt2, llama)")
        }
        ids.read(gguf, vocabularySize: vocabulary.count)

        addBOS = gguf["tokenizer.ggml.add_bos_token"]?.boolValue ?? defaultAddBOS
        addEOS = gguf["tokenizer.ggml.add_eos_token"]?.boolValue ?? false
        if addBOS && ids.bos == nil { throw .invalid("add_bos_token is set but there is no BOS token") }
        if addEOS && ids.eos == nil { throw .invalid("add_eos_token is set but there is no EOS token") }

        let endOfGeneration = EndOfGeneration.detect(&ids, vocabulary: &vocabulary)
        bos = ids.bos
        eos = ids.eos
        eot = ids.eot
        unknown = ids.unknown
        padding = ids.padding
        self.endOfGeneration = endOfGeneration

        if let bytePair {
            model = .bytePair(bytePair)
            pieces = PieceDecoder(style: .byteLevel(bytePair.alphabet))
        } else {
            model = .sentencePiece(SentencePieceModel(vocabulary: vocabulary, unknown: ids.unknown))
            pieces = PieceDecoder(style: .sentencePiece)
        }
        specials = SpecialTokenSplitter(vocabulary: vocabulary)
        self.vocabulary = vocabulary
    }

    // MARK: encoding

    /// Token ids of `text`. `addSpecial` adds BOS/EOS as the model's metadata asks;
    /// `parseSpecial` turns special-token text (`<|im_start|>`) into its id.
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { encode($0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// Token ids of a rendered prompt: special tokens are parsed in markup segments
    /// only; message text (a player's line, lore) never yields a special token, even
    /// where it borders markup. Text is tokenized as one string otherwise, so a
    /// prompt without special-token text gets the same ids as `encode(_:…parseSpecial: true)`.
    public func encode(segments: [PromptSegment], addSpecial: Bool) -> [Int32] {
        var bytes: [UInt8] = []
        var plain: [Bool] = []
        for s in segments {
            let before = bytes.count
            bytes.append(contentsOf: s.text.utf8)
            plain.append(contentsOf: repeatElement(!s.isMarkup, count: bytes.count - before))
        }
        return bytes.withUnsafeBufferPointer { encode($0, addSpecial: addSpecial, parseSpecial: true, plainText: plain) }
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, addSpecial: Bool, parseSpecial: Bool, plainText: [Bool] = []) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.count / 3 + 2)
        if addSpecial && addBOS, let bos { out.append(bos) }
        let fragments = specials.split(text, parseSpecial: parseSpecial, plainText: plainText)
        switch model {
        case let .bytePair(bpe):
            var workspace = BytePairModel.Workspace()
            for fragment in fragments {
                switch fragment {
                case let .token(id): out.append(id)
                case let .text(range):
                    bpe.encode(UnsafeBufferPointer(rebasing: text[range]), vocabulary: vocabulary,
                               workspace: &workspace, into: &out)
                }
            }
        case let .sentencePiece(spm):
            var workspace = SentencePieceModel.Workspace()
            var previousWasSpecial = true  // the text's start counts as after a special token
            for fragment in fragments {
                switch fragment {
                case let .token(id):
                    out.append(id)
                    previousWasSpecial = true
                case let .text(range):
                    spm.encode(UnsafeBufferPointer(rebasing: text[range]), spacePrefix: addSpacePrefix && previousWasSpecial,
                               vocabulary: vocabulary, workspace: &workspace, into: &out)
                    previousWasSpecial = false
                }
            }
        }
        if addSpecial && addEOS, let eos { out.append(eos) }
        return out
    }

    // MARK: decoding

    /// The text of `ids`. Control tokens render as their text when `renderSpecial`
    /// (so `decode(encode(x, parseSpecial: true))` gives back `x`).
    public func decode(_ ids: [Int32], renderSpecial: Bool = true) -> String {
        var bytes: [UInt8] = []
        for (i, id) in ids.enumerated() {
            // As llama.cpp: with a space prefix in use, the first piece loses its leading space.
            pieces.appendPiece(id, vocabulary: vocabulary, renderSpecial: renderSpecial,
                               stripLeadingSpace: i == 0 && addSpacePrefix, into: &bytes)
        }
        if cleanSpaces { PieceDecoder.cleanSpaces(&bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes one token contributes to the output (a piece may end inside a UTF-8 character).
    public func piece(_ id: Int32, renderSpecial: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        pieces.appendPiece(id, vocabulary: vocabulary, renderSpecial: renderSpecial, stripLeadingSpace: false, into: &bytes)
        return bytes
    }

    // MARK: token facts

    public func isEndOfGeneration(_ id: Int32) -> Bool {
        endOfGeneration.contains(id)
    }

    /// The token's text as stored in the vocabulary (`Ġhello`, `▁hello`, `<|im_end|>`).
    public func tokenText(_ id: Int32) -> String? {
        guard vocabulary.contains(id) else { return nil }
        return String(decoding: vocabulary.text(id), as: UTF8.self)
    }

    public func tokenType(_ id: Int32) -> TokenType? {
        vocabulary.contains(id) ? vocabulary.types[Int(id)] : nil
    }

    /// The id whose stored text is exactly `text`.
    public func tokenID(_ text: String) -> Int32? { vocabulary.id(of: text) }

    /// Control or unknown: text that only appears when rendering specials.
    public func isControl(_ id: Int32) -> Bool {
        vocabulary.contains(id) && !vocabulary.attributes[Int(id)].isDisjoint(with: TokenAttributes.special)
    }
}
