#if canImport(Glibc)
import Glibc
#endif
/// The constrained first decision of a turn with tools: talk, or take one of
/// the NPC's actions. Small models rarely start a call on their own, and when
/// they do they also call on small talk; asked as a multiple choice in a short
/// side prompt (the NPC, its actions, the player's line), the model only has to
/// rank a few options, scored by the log-probability of each option's name.
/// The side prompt's prefix is the same every turn, so its KV cache is reused.
struct ToolDecision {
    static let talk = "talk"
    /// Longest option name scored, in tokens (names are identifiers; this bounds the cost).
    static let maxOptionTokens = 12

    /// The chosen tool, or nil to talk.
    static func choose(model: LanguageModel, npc: NPC, line: String, tools: [ToolSpec]) throws(RuntimeError) -> ToolSpec? {
        guard !tools.isEmpty else { return nil }
        let config = npc.config
        var system = "You decide what \(config.name) does in a game. \(config.name): \(config.persona)\nOptions:"
        for t in tools { system += "\n- \(t.name): \(t.description)" }
        system += "\n- \(talk): just answer in words; take no action."
        system += "\nPick the action the player's line clearly asks \(config.name) to take. If the player is chatting, asking a question, or asks for something not listed, pick \(talk)."
        let user = "The player says: \"\(line)\"\nWhich option?"
        let prompt = model.tokenize([ChatMessage(.system, system), ChatMessage(.user, user)])
            + model.tokenizer.encode("Option:", addSpecial: false, parseSpecial: false)

        let capacity = min(model.contextLength, 2048)
        guard prompt.count + maxOptionTokens + 1 < capacity else { return nil }  // cannot ask: talk
        let cache = npc.decisionCache ?? KVCache(config: model.transformer.config, capacity: capacity)
        npc.decisionCache = cache
        let reused = min(cache.commonPrefix(with: prompt), prompt.count - 1)
        cache.truncate(to: reused)
        let first = logSoftmax(try model.transformer.forward(Array(prompt[reused...]), cache: cache))
        let base = cache.count

        var best: (score: Float, tool: ToolSpec?) = (-.infinity, nil)
        for option in [talk] + tools.map(\.name) {
            let ids = Array(model.tokenizer.encode(" " + option, addSpecial: false, parseSpecial: false).prefix(maxOptionTokens))
            guard let head = ids.first, Int(head) < first.count else { continue }
            var score = first[Int(head)]
            for k in 1..<max(1, ids.count) {
                let next = logSoftmax(try model.transformer.forward([ids[k - 1]], cache: cache))
                score += Int(ids[k]) < next.count ? next[Int(ids[k])] : -.infinity
            }
            cache.truncate(to: base)
            let mode = getenv("PARLEY_DECISION_SCORING").map { String(cString: $0) } ?? "sum"
            let margin = getenv("PARLEY_DECISION_MARGIN").flatMap { Float(String(cString: $0)) } ?? 0
            if mode == "mean" { score /= Float(max(1, ids.count)) }
            if mode == "first" { score = first[Int(head)] }
            if option != talk { score -= margin }
            if getenv("PARLEY_DEBUG_DECISION") != nil { print("decision \(option) \(ids.count) tokens: \(score)") }
            if score > best.score { best = (score, tools.first { $0.name == option }) }
        }
        return best.tool
    }
}
