/// Ids of the special tokens the runtime needs, from metadata or defaults.
struct SpecialIDs {
    var bos: Int32?
    var eos: Int32?
    var eot: Int32?
    var eom: Int32?
    var unknown: Int32?
    var padding: Int32?
    var fimPrefix: Int32?
    var fimSuffix: Int32?
    var fimMiddle: Int32?
    var fimPad: Int32?
    var fimRepository: Int32?
    var fimSeparator: Int32?

    private static var keys: [(String, WritableKeyPath<SpecialIDs, Int32?>)] { [
        ("tokenizer.ggml.bos_token_id", \.bos),
        ("tokenizer.ggml.eos_token_id", \.eos),
        ("tokenizer.ggml.eot_token_id", \.eot),
        ("tokenizer.ggml.eom_token_id", \.eom),
        ("tokenizer.ggml.unknown_token_id", \.unknown),
        ("tokenizer.ggml.padding_token_id", \.padding),
        ("tokenizer.ggml.fim_pre_token_id", \.fimPrefix),
        ("tokenizer.ggml.fim_suf_token_id", \.fimSuffix),
        ("tokenizer.ggml.fim_mid_token_id", \.fimMiddle),
        ("tokenizer.ggml.fim_pad_token_id", \.fimPad),
        ("tokenizer.ggml.fim_rep_token_id", \.fimRepository),
        ("tokenizer.ggml.fim_sep_token_id", \.fimSeparator),
        // older names of the FIM ids
        ("tokenizer.ggml.prefix_token_id", \.fimPrefix),
        ("tokenizer.ggml.suffix_token_id", \.fimSuffix),
        ("tokenizer.ggml.middle_token_id", \.fimMiddle),
    ] }

    /// Drops defaults outside the vocabulary, then takes each id the metadata
    /// gives, unless it is outside the vocabulary too (then the default stays).
    mutating func read(_ gguf: GGUFFile, vocabularySize n: Int) {
        for (key, path) in Self.keys {
            if let id = self[keyPath: path], id < 0 || Int(id) >= n { self[keyPath: path] = nil }
            if let value = gguf[key]?.intValue, value >= 0, value < n { self[keyPath: path] = Int32(value) }
        }
    }
}

/// Finds the end-of-turn, FIM and end-of-generation tokens by their text where
/// the metadata does not name them, as llama.cpp does, and marks those tokens
/// as control tokens.
enum EndOfGeneration {
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
        "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    static let endOfMessageTexts = ["<|eom_id|>"]
    static let fimPrefixTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                                 "<|code_prefix|>", "<|prefix|>"]
    static let fimSuffixTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                                 "<|code_suffix|>", "<|suffix|>"]
    static let fimMiddleTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                                 "<|code_middle|>", "<|middle|>"]
    static let fimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]
    static let fimRepositoryTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]
    static let fimSeparatorTexts = ["<|file_sep|>"]
    static let generationEndTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]
    /// Tokens gpt-oss needs rendered even when specials are not.
    static let alwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    /// Fills the ids the metadata left empty and returns the end-of-generation set, ascending.
    static func detect(_ ids: inout SpecialIDs, vocabulary: inout Vocabulary) -> [Int32] {
        func find(_ texts: [String]) -> Int32? {
            for text in texts { if let id = vocabulary.id(of: text) { return id } }
            return nil
        }
        func markControl(_ id: Int32?) {
            guard let id else { return }
            vocabulary.attributes[Int(id)].insert(.control)
        }
        let detected: [(WritableKeyPath<SpecialIDs, Int32?>, [String])] = [
            (\.eot, endOfTurnTexts), (\.eom, endOfMessageTexts),
            (\.fimPrefix, fimPrefixTexts), (\.fimSuffix, fimSuffixTexts), (\.fimMiddle, fimMiddleTexts),
            (\.fimPad, fimPadTexts), (\.fimRepository, fimRepositoryTexts), (\.fimSeparator, fimSeparatorTexts),
        ]
        for (path, texts) in detected where ids[keyPath: path] == nil {
            ids[keyPath: path] = find(texts)
            markControl(ids[keyPath: path])
        }

        var set = Set<Int32>()
        for id in [ids.fimPad, ids.fimRepository, ids.fimSeparator] { if let id { set.insert(id) } }
        for text in generationEndTexts {
            if let id = vocabulary.id(of: text) {
                set.insert(id)
                markControl(id)
            }
        }
        for text in alwaysRenderedTexts {
            if let id = vocabulary.id(of: text) { vocabulary.attributes[Int(id)] = .userDefined }
        }
        for id in [ids.eos, ids.eot, ids.eom] { if let id { set.insert(id) } }

        // Harmony-style vocabularies end a turn with <|return|>/<|call|>; their <|end|> only ends a message.
        func present(_ text: String) -> Int32? { vocabulary.id(of: text).flatMap { set.contains($0) ? $0 : nil } }
        let hasCall = present("<|call|>") != nil || present("<|calls|>") != nil
        if let end = present("<|end|>"), hasCall, present("<|return|>") != nil || present("<|flush|>") != nil {
            set.remove(end)
            vocabulary.attributes[Int(end)] = .userDefined
        }
        // Gemma 4 and PLaMo use </s> as ordinary text (PaddleOCR ends with it).
        if present("<|tool_response>") != nil || present("<|plamo:eos|>") != nil, let s = present("</s>") {
            set.remove(s)
            vocabulary.attributes[Int(s)] = .normal
        }
        return set.sorted()
    }
}
