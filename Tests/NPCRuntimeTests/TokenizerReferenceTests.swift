import Foundation
import Testing
@testable import NPCRuntime

/// Tokenizers of the real models against llama.cpp's output (shared/reference/llm).
@Suite struct TokenizerReferenceTests {
    struct Case {
        let text: String
        let ids: [Int32]
        let addSpecial: Bool
    }

    struct Generation {
        let tokens: [Int32]
        let completion: String
    }

    static func reference(_ model: String) throws -> (cases: [Case], generations: [Generation]) {
        let json = try #require(try TestPaths.loadJSON(TestPaths.referenceFile("llm/\(model).json")) as? [String: Any])
        func ids(_ value: Any?) throws -> [Int32] { try #require(value as? [Int]).map { Int32($0) } }
        var cases: [Case] = []
        var generations: [Generation] = []
        for entry in try #require(json["tokenize"] as? [[String: Any]]) {
            cases.append(Case(text: try #require(entry["text"] as? String), ids: try ids(entry["ids"]), addSpecial: false))
        }
        for entry in try #require(json["greedy"] as? [[String: Any]]) {
            cases.append(Case(text: try #require(entry["prompt"] as? String), ids: try ids(entry["prompt_ids"]), addSpecial: true))
            generations.append(Generation(tokens: try ids(entry["tokens"]),
                                          completion: try #require(entry["completion"] as? String)))
        }
        return (cases, generations)
    }

    func check(_ model: String) throws {
        let path = try #require(TestPaths.model("\(model).gguf"))
        let gguf = try GGUFFile(path: path)
        var loaded: Tokenizer?
        let loadTime = try ContinuousClock().measure { loaded = try Tokenizer(gguf: gguf) }
        let tokenizer = try #require(loaded)
        print("\(model): tokenizer built from GGUF metadata in \(loadTime)")
        let (cases, generations) = try Self.reference(model)
        #expect(cases.count >= 17)
        for c in cases {
            let ids = tokenizer.encode(c.text, addSpecial: c.addSpecial, parseSpecial: true)
            #expect(ids == c.ids, "\(model): \(c.text.debugDescription)")
            // Round trip (BOS, when added, renders as its own text first).
            let body = c.addSpecial && tokenizer.addBOS ? Array(ids.dropFirst()) : ids
            #expect(tokenizer.decode(body) == c.text, "\(model): decode \(c.text.debugDescription)")
            // Streaming yields the same text in whole characters.
            var stream = StreamingDecoder(tokenizer: tokenizer)
            let chunks = body.map { stream.feed($0) } + [stream.finish()]
            #expect(chunks.joined() == c.text && !chunks.joined().contains("\u{FFFD}"))
        }
        for g in generations {
            #expect(tokenizer.decode(g.tokens, renderSpecial: false) == g.completion, "\(model): completion")
        }
    }

    @Test(.enabled(if: TestPaths.hasModel("smollm2-135m-instruct-q4_1.gguf")))
    func smolLM2() throws {
        try check("smollm2-135m-instruct-q4_1")
    }

    @Test(.enabled(if: TestPaths.hasModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")))
    func qwen25() throws {
        try check("qwen2.5-coder-0.5b-instruct-q4_k_m")
    }

    @Test(.enabled(if: TestPaths.hasModel("gemma-3-270m-q4_k_m.gguf")))
    func gemma3() throws {
        try check("gemma-3-270m-q4_k_m")
    }

    @Test(.enabled(if: TestPaths.hasModel("smollm2-135m-instruct-q4_1.gguf")))
    func specialTokenFacts() throws {
        let smol = try Tokenizer(gguf: GGUFFile(path: try #require(TestPaths.model("smollm2-135m-instruct-q4_1.gguf"))))
        #expect(smol.kind == .bytePairEncoding && smol.preTokenizerName == "smollm" && smol.vocabSize == 49152)
        #expect(smol.bos == 1 && smol.eos == 2 && smol.eot == 2 && !smol.addBOS)
        #expect(smol.isEndOfGeneration(2) && smol.isEndOfGeneration(0) && !smol.isEndOfGeneration(1))
        #expect(smol.tokenText(1) == "<|im_start|>" && smol.tokenType(1) == .control && smol.tokenType(504) == .normal)
        // Without special parsing, <|im_start|> is ordinary text.
        #expect(smol.encode("<|im_start|>", addSpecial: false, parseSpecial: false).count > 1)
    }

    @Test(.enabled(if: TestPaths.hasModel("gemma-3-270m-q4_k_m.gguf")))
    func gemmaSpecialTokenFacts() throws {
        let gemma = try Tokenizer(gguf: GGUFFile(path: try #require(TestPaths.model("gemma-3-270m-q4_k_m.gguf"))))
        #expect(gemma.kind == .sentencePiece && gemma.vocabSize == 262144)
        #expect(gemma.bos == 2 && gemma.eos == 1 && gemma.eot == 106 && gemma.addBOS && !gemma.addSpacePrefix)
        #expect(gemma.isEndOfGeneration(106) && gemma.isEndOfGeneration(1))
        #expect(gemma.encode("<start_of_turn>user\nhi<end_of_turn>", addSpecial: false, parseSpecial: true)
                == [105, 2364, 107, 2202, 106])
        // Whitespace runs are user-defined tokens: matched even without special parsing.
        #expect(gemma.encode("a\n\nb", addSpecial: false, parseSpecial: false).contains(108))
        #expect(gemma.tokenType(108) == .userDefined && gemma.tokenType(238) == .byte)
    }

    /// A 2 KB chat prompt: tokenizing must be fast (well under 10 ms in release).
    @Test(.enabled(if: TestPaths.hasModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")))
    func tokenizesALongPromptQuickly() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: try #require(TestPaths.model("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))))
        let turn = "<|im_start|>user\nThe lighthouse went dark forty years ago; Mara says 1,250 gold won't buy the keeper's silence. "
            + "Naïve travelers ask about the Drowned Lantern — déjà vu? 🐉<|im_end|>\n"
        let prompt = String(repeating: turn, count: 2048 / turn.utf8.count + 1)
        #expect(prompt.utf8.count >= 2048)
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { for _ in 0..<10 { ids = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true) } }
        let perPrompt = elapsed / 10
        print("tokenize 2 KB prompt: \(ids.count) tokens in \(perPrompt)")
        #expect(tokenizer.decode(ids) == prompt)
        #expect(perPrompt < .milliseconds(250))  // generous for debug builds; release is far below 10 ms
    }
}
