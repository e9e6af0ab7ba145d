import Testing
@testable import NPCRuntime

@Suite struct GrammarMaskTests {
    static let suffix = "\n</tool_call>"

    /// A small vocabulary with single bytes (so every text is reachable), word
    /// pieces that cross grammar boundaries, UTF-8 pieces split mid-character,
    /// a few tokens no call can use, and an end token with no bytes.
    static func tinyVocabulary() -> (pieces: [(Int32, [UInt8])], size: Int, end: Int32) {
        var texts: [[UInt8]] = (0x20...0x7E).map { [UInt8($0)] } + [[0x0A], [0x01], [0xC3], [0xA9], [0xF0, 0x9F], [0x98, 0x80]]
        for word in [#"{""#, #"{"name": ""#, "name", #"": ""#, "give_item", "move_to", #"", ""#, "arguments", #"": {"#,
                     "}}", #""}"#, #""}}"#, "\n</tool_call>", "</tool", "_call>", "12", "99", "0.", "é", "true", "false",
                     #"", "count": "#, #"sword", "#, "potion", " the", "mill", "😀", #"["#, #"", "#, #""]"#, "],", "10",
                     #"", "x": "#, "-", "3.14159265", "\\\"", "\\n"] {
            texts.append(Array(word.utf8))
        }
        let pieces = texts.enumerated().map { (Int32($0.offset), $0.element) }
        return (pieces, texts.count + 1, Int32(texts.count))
    }

    /// Greedy picks under the mask; returns the call text, or nil if it did not end in `limit` tokens.
    static func decode(mask: GrammarMask, vocabularySize: Int, end: Set<Int32>, seed: UInt64, limit: Int,
                       check: ((GrammarMask) -> Void)? = nil) -> (text: String, tokens: Int)? {
        var rng = SplitMix64(seed: seed)
        var history: [Int32] = [0, 0]  // a stand-in prompt
        var logits = [Float](repeating: 0, count: vocabularySize)
        for step in 0..<limit {
            for i in logits.indices { logits[i] = rng.nextFloat() * 10 - 5 }
            check?(mask)
            logits.withUnsafeMutableBufferPointer { mask.process($0, history: history[...]) }
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            guard logits[best] > -.infinity else { return nil }
            if end.contains(Int32(best)) {
                logits.withUnsafeMutableBufferPointer { mask.process($0, history: history[...]) }
                return (mask.text, step)
            }
            history.append(Int32(best))
        }
        return nil
    }

    /// Every token whose bytes the grammar accepts, by trying each one.
    static func bruteForce(_ grammar: CallGrammar, trie: TokenTrie) -> [Int32] {
        (0..<Int32(trie.vocabularySize)).filter { id in
            guard let p = trie.piece(id) else { return false }
            var g = grammar
            return g.advance(p)
        }
    }

    @Test func trieIndexesEveryPiece() {
        let (pieces, size, _) = Self.tinyVocabulary()
        let trie = TokenTrie(pieces: pieces, vocabularySize: size)
        for (id, bytes) in pieces { #expect(trie.piece(id).map(Array.init) == bytes) }
        #expect(trie.piece(Int32(size - 1)) == nil)
        #expect(trie.piece(-1) == nil && trie.piece(Int32(size)) == nil)
        // Each token sits in the subtree range of the node its bytes lead to.
        #expect(Set(trie.tokenOrder).count == pieces.count)
    }

    @Test func greedyDecodingUnderTheMaskAlwaysYieldsAValidCall() throws {
        let tools = try sampleNPCTools()
        let grammar = try CallGrammar(tools: tools, suffix: Self.suffix)
        let (pieces, size, end) = Self.tinyVocabulary()
        let trie = TokenTrie(pieces: pieces, vocabularySize: size)
        var names: [String: Int] = [:]
        for seed in UInt64(0)..<300 {
            let mask = GrammarMask(trie: trie, grammar: grammar, endTokens: [end], startIndex: 2)
            // The walk (with its bulk-allowed subtrees) must agree with trying every token.
            let check: (GrammarMask) -> Void = seed < 40 ? { m in
                let state = m.currentGrammar
                if state.isAlive && !state.isComplete {
                    #expect(m.allowedTokens() == Self.bruteForce(state, trie: trie), "seed \(seed) after \(m.text)")
                }
            } : { _ in }
            let result = Self.decode(mask: mask, vocabularySize: size, end: [end], seed: seed, limit: 800, check: check)
            guard let (text, _) = result else { Issue.record("seed \(seed): no end after 800 tokens: \(mask.text)"); continue }
            #expect(mask.isComplete && !mask.hasFailed)
            #expect(grammar.accepts(text), "\(text)")
            let call = try ParsedCall(text: text, suffix: Self.suffix)
            #expect(call.validate(against: tools) == nil, "\(text)")
            names[call.name, default: 0] += 1
        }
        #expect(names.count == 3)  // random logits reach every tool
    }

    @Test func endTokensOnlyOnceCompleteAndAsFallback() throws {
        let tools = try sampleNPCTools()
        let grammar = try CallGrammar(tools: tools, suffix: "")
        let (pieces, size, end) = Self.tinyVocabulary()
        let trie = TokenTrie(pieces: pieces, vocabularySize: size)
        let mask = GrammarMask(trie: trie, grammar: grammar, endTokens: [end], startIndex: 0)
        var logits = [Float](repeating: 1, count: size + 3)  // logits past the vocabulary are masked too
        let start = Array(#"{"name": "move_to", "arguments": {"place": "x"}}"#.utf8)
        let ids = start.compactMap { b in pieces.first { $0.1 == [b] }?.0 }
        logits.withUnsafeMutableBufferPointer { mask.process($0, history: ids.dropLast()[...]) }
        #expect(logits[Int(end)] == -.infinity)
        #expect(logits.indices.filter { logits[$0] > -.infinity }.map(Int32.init) == Self.bruteForce(mask.currentGrammar, trie: trie))
        logits = [Float](repeating: 1, count: size + 3)
        logits.withUnsafeMutableBufferPointer { mask.process($0, history: ids[...]) }
        #expect(mask.isComplete)
        #expect(logits.indices.filter { logits[$0] > -.infinity } == [Int(end)])
        // A token the grammar refused (the sampler ignored the mask): void call, only the end token.
        let bad = GrammarMask(trie: trie, grammar: grammar, endTokens: [end], startIndex: 0)
        logits = [Float](repeating: 1, count: size)
        logits.withUnsafeMutableBufferPointer { bad.process($0, history: [Int32(0)][...]) }  // " " cannot start a call
        #expect(bad.hasFailed && !bad.isComplete)
        #expect(logits.indices.filter { logits[$0] > -.infinity } == [Int(end)])
    }

    // MARK: real vocabularies

    static func realVocabulary(_ model: String, seeds: Range<UInt64>, suffix: String) throws {
        let path = try #require(TestPaths.model(model))
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        let tools = try sampleNPCTools()
        let grammar = try CallGrammar(tools: tools, suffix: suffix)
        let t0 = monotonicMs()
        let trie = TokenTrie(tokenizer: tokenizer, suffix: suffix)
        print("\(model): token trie of \(trie.nodeCount) nodes built in \(Int(monotonicMs() - t0)) ms (debug)")
        let end = Set(tokenizer.endOfGeneration)
        var tokens = 0
        for seed in seeds {
            let mask = GrammarMask(trie: trie, grammar: grammar, endTokens: end, startIndex: 2)
            let check: (GrammarMask) -> Void = seed == seeds.lowerBound ? { m in
                let state = m.currentGrammar
                if state.isAlive && !state.isComplete {
                    #expect(m.allowedTokens() == Self.bruteForce(state, trie: trie), "\(model) after \(m.text)")
                }
            } : { _ in }
            let result = Self.decode(mask: mask, vocabularySize: tokenizer.vocabSize, end: end, seed: seed, limit: 400, check: check)
            guard let (text, n) = result else { Issue.record("\(model) seed \(seed): no end in 400 tokens: \(mask.text)"); continue }
            tokens += n
            #expect(mask.isComplete && grammar.accepts(text), "\(model) seed \(seed): \(text)")
            let call = try ParsedCall(text: text, suffix: suffix)
            #expect(call.validate(against: tools) == nil, "\(model) seed \(seed): \(text)")
        }
        print("\(model): \(seeds.count) calls, \(tokens) tokens")
    }

    @Test(.enabled(if: TestPaths.hasModel("smollm2-135m-instruct-q4_1.gguf")))
    func smolLM2() throws {
        try Self.realVocabulary("smollm2-135m-instruct-q4_1.gguf", seeds: 0..<100, suffix: "</call>")
    }

    @Test(.enabled(if: TestPaths.hasModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")))
    func qwen25() throws {
        let path = try #require(TestPaths.model("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        // Qwen2.5 writes its closing tag as one user-defined token; the trie must hold it.
        let close = try #require(tokenizer.tokenID("</tool_call>"))
        #expect(tokenizer.tokenType(close) == .userDefined && !tokenizer.isControl(close))
        let trie = TokenTrie(tokenizer: tokenizer, suffix: Self.suffix)
        #expect(trie.piece(close).map(Array.init) == Array("</tool_call>".utf8))
        #expect(trie.piece(try #require(tokenizer.eot)) == nil)
        try Self.realVocabulary("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", seeds: 0..<100, suffix: Self.suffix)
    }

    @Test(.enabled(if: TestPaths.hasModel("gemma-3-270m-q4_k_m.gguf")))
    func gemma3() throws {
        try Self.realVocabulary("gemma-3-270m-q4_k_m.gguf", seeds: 0..<20, suffix: "</call>")
    }

    @Test(.enabled(if: TestPaths.hasModel("smollm2-135m-instruct-q4_1.gguf") && TestPaths.hasModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")))
    func maskCost() throws {
        for model in ["smollm2-135m-instruct-q4_1.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"] {
            let tokenizer = try Tokenizer(gguf: try GGUFFile(path: try #require(TestPaths.model(model))))
            let cost = try grammarMaskCost(tokenizer: tokenizer, tools: try sampleNPCTools(), calls: 10)
            print("\(model): mask \(cost.perTokenMs) ms/token (max \(cost.maxTokenMs)) over \(cost.tokens) tokens, "
                  + "trie \(cost.trieNodes) nodes in \(cost.trieBuildMs) ms, \(cost.validCalls)/\(cost.calls) valid")
            #expect(cost.validCalls == cost.calls)
        }
    }
}
