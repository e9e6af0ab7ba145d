/// The constrained first decision of a turn with tools: talk, or take one of
/// the NPC's actions. Small models rarely start a call on their own, and when
/// they do they also call on small talk. Asked as a multiple choice in a short
/// side prompt (the NPC, its actions, the player's line), the model only ranks
/// a few options by the log-probability of each option's name. An action is
/// taken only when (1) its name beats "talk" by `margin` nats for this line,
/// and (2) the line makes it more likely than a line of small talk does
/// (contextual calibration: small models' rankings lean on their prior over
/// the names). Wrongly acting costs a studio more than not acting (a sword
/// sold for "hello"), so the margin is conservative: on eval/tools.jsonl it
/// keeps false calls near 0.03 on SmolLM2 and Qwen2.5 (BENCHMARKS.md).
/// The side prompt's prefix is the same every turn, so its KV cache is reused,
/// and the small-talk scores are computed once per NPC.
struct ToolDecision {
    static let talk = "talk"
    static let smallTalk = "Good day to you. How are you?"
    static let margin: Float = 3
    /// Longest option name scored, in tokens (names are identifiers; this bounds the cost).
    static let maxOptionTokens = 12

    /// The chosen tool, or nil to talk.
    static func choose(model: LanguageModel, npc: NPC, line: String, tools: [ToolSpec]) throws(RuntimeError) -> ToolSpec? {
        guard !tools.isEmpty else { return nil }
        let system = sidePrompt(npc.config, tools: tools)
        let options = ([talk] + tools.map(\.name)).map {
            Array(model.tokenizer.encode(" " + $0, addSpecial: false, parseSpecial: false).prefix(maxOptionTokens))
        }
        // the small-talk scores depend only on the side prompt: kept until it changes
        let prior: [Float]
        if let cached = npc.decisionPrior, cached.system == system {
            prior = cached.scores
        } else {
            guard let s = try scores(model: model, npc: npc, system: system, line: smallTalk, options: options) else { return nil }
            prior = s
            npc.decisionPrior = (system, s)
        }
        guard let given = try scores(model: model, npc: npc, system: system, line: line, options: options) else { return nil }
        var best = (score: -Float.infinity, index: 0)
        for i in options.indices.dropFirst() where given[i] > best.score { best = (given[i], i) }
        let beatsTalk = given[best.index] - given[0] > margin
        let moreThanSmallTalk = given[best.index] - prior[best.index] > given[0] - prior[0]
        guard best.index > 0, beatsTalk, moreThanSmallTalk else { return nil }
        return tools[best.index - 1]
    }

    /// The side prompt's system message: the NPC, its actions, and "talk".
    private static func sidePrompt(_ config: NPCConfig, tools: [ToolSpec]) -> String {
        var system = "You decide what \(config.name) does in a game. \(config.name): \(config.persona)\nOptions:"
        for t in tools { system += "\n- \(t.name): \(t.description)" }
        system += "\n- \(talk): just answer in words; take no action."
        system += "\nPick the action the player's line clearly asks \(config.name) to take. If the player is chatting, asking a question, or asks for something not listed, pick \(talk)."
        return system
    }

    /// Log-probability of each option (its name's tokens) after the side prompt
    /// for `line`; nil when the prompt does not fit (then the NPC talks).
    private static func scores(model: LanguageModel, npc: NPC, system: String, line: String,
                               options: [[Int32]]) throws(RuntimeError) -> [Float]? {
        let user = "The player says: \"\(line)\"\nWhich option?"
        let prompt = model.tokenize([ChatMessage(.system, system), ChatMessage(.user, user)])
            + model.tokenizer.encode("Option:", addSpecial: false, parseSpecial: false)

        let capacity = min(model.contextLength, 2048)
        guard prompt.count + maxOptionTokens + 1 < capacity else { return nil }
        let cache = npc.decisionCache ?? KVCache(config: model.transformer.config, capacity: capacity)
        npc.decisionCache = cache
        let reused = min(cache.commonPrefix(with: prompt), prompt.count - 1)
        cache.truncate(to: reused)
        let first = logSoftmax(try model.transformer.forward(Array(prompt[reused...]), cache: cache))
        let base = cache.count

        var out: [Float] = []
        for ids in options {
            guard let head = ids.first, Int(head) < first.count else { out.append(-.infinity); continue }
            var score = first[Int(head)]
            for k in 1..<max(1, ids.count) {
                let next = logSoftmax(try model.transformer.forward([ids[k - 1]], cache: cache))
                score += Int(ids[k]) < next.count ? next[Int(ids[k])] : -.infinity
            }
            cache.truncate(to: base)
            out.append(score)
        }
        return out
    }
}
