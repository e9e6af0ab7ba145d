import Foundation
import Testing
@testable import NPCRuntime

/// Tokenizers over tiny vocabularies built in code.
@Suite struct TokenizerTests {
    // MARK: byte-level BPE

    /// A byte-level vocabulary: ids 0…255 are the 256 single-byte characters,
    /// then one token per merge result, then `extra` (text, token type).
    static func bytePairModel(pre: String = "smollm", merges: [String] = [], extra: [(String, Int32)] = [],
                              metadata: [(String, GGUFBuilder.Value)] = []) -> GGUFBuilder {
        let alphabet = ByteLevelAlphabet()
        var tokens = (0..<256).map { String(decoding: alphabet.encoded[$0], as: UTF8.self) }
        for merge in merges {
            let joined = merge.replacingOccurrences(of: " ", with: "")
            if !tokens.contains(joined) { tokens.append(joined) }
        }
        var types = [Int32](repeating: 1, count: tokens.count)
        for (text, type) in extra {
            tokens.append(text)
            types.append(type)
        }
        var b = GGUFBuilder()
        b.set("tokenizer.ggml.model", .string("gpt2"))
        b.set("tokenizer.ggml.pre", .string(pre))
        b.set("tokenizer.ggml.tokens", .strings(tokens))
        b.set("tokenizer.ggml.token_type", .int32s(types))
        b.set("tokenizer.ggml.merges", .strings(merges))
        for (key, value) in metadata { b.set(key, value) }
        return b
    }

    static func tokenizer(_ b: GGUFBuilder) throws -> Tokenizer { try Tokenizer(gguf: b.load()) }

    func id(_ t: Tokenizer, _ text: String) throws -> Int32 { try #require(t.tokenID(text)) }

    @Test func mergesLowestRankFirst() throws {
        let elFirst = try Self.tokenizer(Self.bytePairModel(merges: ["e l", "l l"]))
        #expect(elFirst.encode("ell", addSpecial: false, parseSpecial: true) == [try id(elFirst, "el"), try id(elFirst, "l")])
        let llFirst = try Self.tokenizer(Self.bytePairModel(merges: ["l l", "e l"]))
        #expect(llFirst.encode("ell", addSpecial: false, parseSpecial: true) == [try id(llFirst, "e"), try id(llFirst, "ll")])
        // Equal ranks: the leftmost pair merges first.
        #expect(llFirst.encode("lll", addSpecial: false, parseSpecial: true) == [try id(llFirst, "ll"), try id(llFirst, "l")])
        // Merges chain into longer tokens and never cross word boundaries.
        let chained = try Self.tokenizer(Self.bytePairModel(merges: ["h e", "l l", "he ll", "hell o", "Ġ h"]))
        #expect(chained.encode("hello hello", addSpecial: false, parseSpecial: true)
                == [try id(chained, "hello"), 0x20, try id(chained, "hello")])
        // ("Ġ h" ranks last: by then h is inside "hello", so that stale pair is skipped.)
    }

    @Test func bytesOfMultiByteCharacters() throws {
        let t = try Self.tokenizer(Self.bytePairModel())
        // é is C3 A9: two byte-level characters, two tokens; ids 0…255 are the bytes themselves.
        #expect(t.encode("é", addSpecial: false, parseSpecial: true) == [0xC3, 0xA9])
        #expect(t.decode([0xC3, 0xA9]) == "é")
        #expect(t.piece(0xC3) == [0xC3] && t.piece(0x20) == [0x20])
        #expect(t.tokenType(0xC3) == .normal)
    }

    @Test func specialTokensAreCutOutFirst() throws {
        let t = try Self.tokenizer(Self.bytePairModel(extra: [("<|im_start|>", 3), ("<|im_end|>", 3), ("<tool>", 4)]))
        let start = try id(t, "<|im_start|>"), end = try id(t, "<|im_end|>"), tool = try id(t, "<tool>")
        let text = "<|im_start|>hi<tool><|im_end|>"
        #expect(t.encode(text, addSpecial: false, parseSpecial: true) == [start, 0x68, 0x69, tool, end])
        // Without special parsing control tokens are text; user-defined tokens still match (as llama.cpp).
        let plain = t.encode(text, addSpecial: false, parseSpecial: false)
        #expect(plain.count == 12 + 2 + 1 + 10)
        #expect(plain.contains(tool) && !plain.contains(start) && !plain.contains(end))
        #expect(t.decode(plain) == text)
        #expect(t.tokenType(start) == .control && t.tokenType(tool) == .userDefined)
    }

    @Test func longerSpecialTokensWinEvenWhenTheyStartLater() throws {
        let t = try Self.tokenizer(Self.bytePairModel(extra: [("ab", 4), ("bcde", 4)]))
        #expect(t.encode("abcde", addSpecial: false, parseSpecial: true) == [0x61, try id(t, "bcde")])
        #expect(t.encode("abab", addSpecial: false, parseSpecial: true) == [try id(t, "ab"), try id(t, "ab")])
    }

    @Test func beginningOfSequenceFollowsMetadataAndDefaults() throws {
        let extra: [(String, Int32)] = [("<|bos|>", 3)]
        // smollm: no BOS unless the metadata asks.
        let plain = try Self.tokenizer(Self.bytePairModel(extra: extra))
        #expect(!plain.addBOS && plain.encode("a", addSpecial: true, parseSpecial: true) == [0x61])
        let asked = try Self.tokenizer(Self.bytePairModel(extra: extra, metadata: [
            ("tokenizer.ggml.add_bos_token", .bool(true)), ("tokenizer.ggml.bos_token_id", .uint32(256))]))
        #expect(asked.encode("a", addSpecial: true, parseSpecial: true) == [256, 0x61])
        #expect(asked.encode("a", addSpecial: false, parseSpecial: true) == [0x61])
        // llama-bpe adds BOS by default; without an id in the metadata BPE's default id is 11.
        let llama = try Self.tokenizer(Self.bytePairModel(pre: "llama-bpe", extra: extra))
        #expect(llama.addBOS && llama.bos == 11)
        #expect(llama.encode("a", addSpecial: true, parseSpecial: true) == [11, 0x61])
        let withEOS = try Self.tokenizer(Self.bytePairModel(extra: extra, metadata: [
            ("tokenizer.ggml.add_eos_token", .bool(true)), ("tokenizer.ggml.eos_token_id", .uint32(256))]))
        #expect(withEOS.encode("a", addSpecial: true, parseSpecial: true) == [0x61, 256])
    }

    @Test func ignoreMergesTakesWholeWordsFromTheVocabulary() throws {
        let extra: [(String, Int32)] = [("hello", 1)]
        let llama = try Self.tokenizer(Self.bytePairModel(pre: "llama-bpe", extra: extra))
        #expect(llama.encode("hello", addSpecial: false, parseSpecial: true) == [try id(llama, "hello")])
        let qwen = try Self.tokenizer(Self.bytePairModel(pre: "qwen2", extra: extra))
        #expect(qwen.encode("hello", addSpecial: false, parseSpecial: true) == Array("hello".utf8).map(Int32.init))
    }

    @Test func endOfGenerationTokens() throws {
        // <|im_end|> stored as normal text is still found, promoted to control and ends generation.
        let t = try Self.tokenizer(Self.bytePairModel(extra: [("<|im_end|>", 1), ("<|endoftext|>", 3), ("<|file_sep|>", 3)],
                                                      metadata: [("tokenizer.ggml.eos_token_id", .uint32(257))]))
        let end = try id(t, "<|im_end|>"), text = try id(t, "<|endoftext|>"), sep = try id(t, "<|file_sep|>")
        #expect(t.eot == end && t.eos == text)
        #expect(t.endOfGeneration == [end, text, sep])
        #expect(t.isEndOfGeneration(end) && t.isEndOfGeneration(sep) && !t.isEndOfGeneration(0x61))
        #expect(t.isControl(end))
        #expect(t.encode("x<|im_end|>", addSpecial: false, parseSpecial: true) == [0x78, end])
        #expect(t.decode([0x78, end], renderSpecial: false) == "x")
        #expect(t.decode([0x78, end]) == "x<|im_end|>")
        // Out-of-range ids decode to nothing instead of failing.
        #expect(t.decode([-5, 0x78, 1_000_000]) == "x")
        #expect(t.tokenText(-1) == nil && t.tokenType(1_000_000) == nil)
    }

    @Test func gpt2CleansSpacesWhenDecoding() throws {
        let t = try Self.tokenizer(Self.bytePairModel(pre: "gpt2"))
        let ids = t.encode("Hello , world ! it 's a ' quote '", addSpecial: false, parseSpecial: true)
        #expect(t.decode(ids) == "Hello, world! it's a'quote '")
        let smol = try Self.tokenizer(Self.bytePairModel(pre: "smollm"))
        #expect(smol.decode(ids) == "Hello , world ! it 's a ' quote '")
    }

    @Test func streamingWaitsForWholeCharacters() throws {
        let t = try Self.tokenizer(Self.bytePairModel())
        let text = "é🐉x"
        var stream = StreamingDecoder(tokenizer: t)
        let chunks = t.encode(text, addSpecial: false, parseSpecial: true).map { stream.feed($0) }
        #expect(chunks == ["", "é", "", "", "", "🐉", "x"])
        #expect(stream.finish() == "")
        // A character that never completes comes out as U+FFFD at the end.
        var broken = StreamingDecoder(tokenizer: t)
        #expect(broken.feed(0xF0) == "" && broken.feed(0x9F) == "")
        #expect(broken.feed(0x41) == "\u{FFFD}A")
        #expect(broken.feed(0xE2) == "" && broken.finish() == "\u{FFFD}")
    }

    @Test func rejectsUnusableMetadata() throws {
        var b = Self.bytePairModel(pre: "starcoder-9000")
        #expect(throws: TokenizerError.self) { try Self.tokenizer(b) }
        b = Self.bytePairModel()
        b.remove("tokenizer.ggml.merges")
        #expect(throws: TokenizerError.missing("tokenizer.ggml.merges")) { try Self.tokenizer(b) }
        b = Self.bytePairModel()
        b.set("tokenizer.ggml.token_type", .int32s([1, 1]))
        #expect(throws: TokenizerError.self) { try Self.tokenizer(b) }
        b = Self.bytePairModel()
        b.set("tokenizer.ggml.tokens", .int32s([1, 2, 3]))
        #expect(throws: TokenizerError.self) { try Self.tokenizer(b) }
        b = Self.bytePairModel()
        b.set("tokenizer.ggml.model", .string("bert"))
        #expect(throws: TokenizerError.self) { try Self.tokenizer(b) }
        b = Self.bytePairModel()
        b.remove("tokenizer.ggml.model")
        #expect(throws: TokenizerError.missing("tokenizer.ggml.model")) { try Self.tokenizer(b) }
    }

    // MARK: SentencePiece

    static let pieces: [(String, Float)] = [
        ("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("he", -3), ("ll", -3), ("hell", -4), ("hello", -4.5),
        ("▁hello", -5),
    ]

    /// `<unk>`, `<s>`, `</s>`, optionally the 256 byte tokens, then `pieces`.
    static func sentencePieceModel(pieces: [(String, Float)] = pieces, byteTokens: Bool = true,
                                   metadata: [(String, GGUFBuilder.Value)] = []) -> GGUFBuilder {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Int32] = [2, 3, 3]
        var scores: [Float] = [0, 0, 0]
        if byteTokens {
            for b in 0..<256 {
                tokens.append("<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">")
                types.append(6)
                scores.append(0)
            }
        }
        for (text, score) in pieces {
            tokens.append(text)
            types.append(1)
            scores.append(score)
        }
        var b = GGUFBuilder()
        b.set("tokenizer.ggml.model", .string("llama"))
        b.set("tokenizer.ggml.tokens", .strings(tokens))
        b.set("tokenizer.ggml.token_type", .int32s(types))
        b.set("tokenizer.ggml.scores", .float32s(scores))
        for (key, value) in metadata { b.set(key, value) }
        return b
    }

    @Test func sentencePieceMergesByScore() throws {
        let t = try Self.tokenizer(Self.sentencePieceModel())
        #expect(t.kind == .sentencePiece && t.addBOS && t.addSpacePrefix && t.bos == 1 && t.eos == 2 && t.unknown == 0)
        let hello = try id(t, "▁hello")
        #expect(t.encode("hello", addSpecial: true, parseSpecial: true) == [1, hello])
        #expect(t.decode([hello]) == "hello")
        #expect(t.decode([1, hello]) == "<s> hello")
        // A better-scoring pair wins over the leftmost one.
        let el = try Self.tokenizer(Self.sentencePieceModel(pieces: Self.pieces + [("el", -1)]))
        #expect(el.encode("hel", addSpecial: false, parseSpecial: true) == [try id(el, "▁"), try id(el, "h"), try id(el, "el")])
    }

    @Test func sentencePieceSpacesAndSpecials() throws {
        let t = try Self.tokenizer(Self.sentencePieceModel())
        let hello = try id(t, "▁hello"), space = try id(t, "▁")
        // Text after a special token gets the space prefix again.
        #expect(t.encode("hello<s>hello", addSpecial: false, parseSpecial: true) == [hello, 1, hello])
        #expect(t.encode(" hello", addSpecial: false, parseSpecial: true) == [space, hello])
        let noPrefix = try Self.tokenizer(Self.sentencePieceModel(metadata: [("tokenizer.ggml.add_space_prefix", .bool(false))]))
        #expect(noPrefix.encode("hello", addSpecial: false, parseSpecial: true) == [try id(noPrefix, "hello")])
        #expect(noPrefix.decode(noPrefix.encode(" hello hello", addSpecial: false, parseSpecial: true)) == " hello hello")
    }

    @Test func sentencePieceByteFallback() throws {
        let t = try Self.tokenizer(Self.sentencePieceModel())
        let ids = t.encode("hé", addSpecial: false, parseSpecial: true)
        #expect(ids == [try id(t, "▁"), try id(t, "h"), 3 + 0xC3, 3 + 0xA9])
        #expect(t.tokenType(3 + 0xC3) == .byte)
        #expect(t.decode(ids) == "hé")
        var stream = StreamingDecoder(tokenizer: t)
        #expect(ids.map { stream.feed($0) } == ["", "h", "", "é"])
        // Without byte tokens an unknown character becomes <unk> per byte.
        let bare = try Self.tokenizer(Self.sentencePieceModel(byteTokens: false))
        #expect(bare.encode("é", addSpecial: false, parseSpecial: true) == [try id(bare, "▁"), 0, 0])
    }
}

extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
