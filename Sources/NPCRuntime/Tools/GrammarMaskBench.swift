/// What masking one tool call costs on a real vocabulary (for `parley bench llm`).
public struct GrammarMaskCost: Sendable {
    public let trieBuildMs: Double
    public let trieNodes: Int
    /// Mean and worst time of one `GrammarMask.process` (grammar catch-up, trie walk, logits pass).
    public let perTokenMs: Double
    public let maxTokenMs: Double
    public let tokens: Int
    public let calls: Int
    /// Calls that completed and whose arguments validated.
    public let validCalls: Int
}

/// Three tools of the kinds NPCs use: enums, bounded integers, strings, a number, an array.
public func sampleNPCTools() throws(RuntimeError) -> [ToolSpec] {
    [
        try ToolSpec(name: "give_item", description: "Give the player an item from the NPC's stock.", parametersJSON: """
        {"type": "object", "properties": {
          "item": {"type": "string", "enum": ["sword", "shield", "health_potion", "mana_potion", "map", "key", "bread", "rope"]},
          "count": {"type": "integer", "minimum": 1, "maximum": 99},
          "note": {"type": "string", "maxLength": 40}},
         "required": ["item", "count"], "additionalProperties": false}
        """),
        try ToolSpec(name: "set_quest_stage", description: "Advance a quest.", parametersJSON: """
        {"type": "object", "properties": {
          "quest": {"type": "string", "enum": ["lost_ring", "bandit_camp", "dragon_egg"]},
          "stage": {"type": "integer", "minimum": 0, "maximum": 2000},
          "notify": {"type": "boolean"}},
         "required": ["quest", "stage"]}
        """),
        try ToolSpec(name: "move_to", description: "Walk somewhere.", parametersJSON: """
        {"type": "object", "properties": {
          "place": {"type": "string", "maxLength": 32},
          "speed": {"type": "number", "minimum": 0.5, "maximum": 3},
          "waypoints": {"type": "array", "items": {"type": "string", "maxLength": 16}, "maxItems": 4}},
         "required": ["place"]}
        """),
    ]
}

/// Decodes `calls` tool calls under the mask with random logits (the worst case
/// for the mask: the walk follows whatever odd tokens win) and times `process`.
public func grammarMaskCost(tokenizer: Tokenizer, tools: [ToolSpec], suffix: String = "\n</tool_call>",
                            calls: Int = 20, seed: UInt64 = 1, maxTokensPerCall: Int = 400) throws(RuntimeError) -> GrammarMaskCost {
    let buildStart = monotonicMs()
    let trie = TokenTrie(tokenizer: tokenizer, suffix: suffix)
    let buildMs = monotonicMs() - buildStart
    let grammar = try CallGrammar(tools: tools, suffix: suffix)
    let endTokens = tokenizer.endOfGeneration
    var rng = SplitMix64(seed: seed)
    var logits = [Float](repeating: 0, count: tokenizer.vocabSize)
    var total = 0.0, worst = 0.0, tokens = 0, valid = 0
    for _ in 0..<max(0, calls) {
        var history: [Int32] = [1, 2, 3]  // stands in for the prompt
        let mask = GrammarMask(trie: trie, grammar: grammar, endTokens: endTokens, startIndex: history.count)
        for _ in 0..<maxTokensPerCall {
            for i in logits.indices { logits[i] = rng.nextFloat() }
            let t0 = monotonicMs()
            logits.withUnsafeMutableBufferPointer { mask.process($0, history: history[...]) }
            let dt = monotonicMs() - t0
            total += dt
            worst = max(worst, dt)
            tokens += 1
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            if endTokens.contains(Int32(best)) { break }
            history.append(Int32(best))
        }
        logits.withUnsafeMutableBufferPointer { mask.process($0, history: history[...]) }  // fold in the last token
        if mask.isComplete, let call = try? ParsedCall(text: mask.text, suffix: suffix), call.validate(against: tools) == nil {
            valid += 1
        }
    }
    return GrammarMaskCost(trieBuildMs: buildMs, trieNodes: trie.nodeCount, perTokenMs: tokens > 0 ? total / Double(tokens) : 0,
                           maxTokenMs: worst, tokens: tokens, calls: max(0, calls), validCalls: valid)
}
