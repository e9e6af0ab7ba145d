/// The first decision of a turn with tools: talk, or take one of the NPC's
/// actions. Wrongly acting costs a studio more than not acting (a sword sold
/// for "hello"), so an action is taken only when the player's line
/// - is speech (no markup, code or disguised words: `InjectedMarkup`),
/// - has the form of a request and does not argue with the NPC's rules
///   (`RequestReading`),
/// - and mentions an action's own words (its name, description, enum values,
///   parameters), in the line or the exchange just before it ("I'll take two
///   of them" after talk of hand axes).
/// When several actions are mentioned equally, the model ranks their names in
/// a short side prompt (the NPC, its actions, the line). The arguments are then
/// the model's, decoded under the grammar. The models' own act-or-talk scores
/// were measured first and hardly separated requests from small talk on either
/// model (#13 in BENCHMARKS.md), so they do not gate the action.
struct ToolDecision {
    /// Longest option name scored, in tokens (names are identifiers; this bounds the cost).
    static let maxOptionTokens = 12

    /// The chosen tool, or nil to talk. `context` is the exchange before `line`.
    static func choose(model: LanguageModel, npc: NPC, line: String, context: String,
                       tools: [ToolSpec]) throws(RuntimeError) -> ToolSpec? {
        guard !tools.isEmpty, !InjectedMarkup.isPresent(in: line),
              RequestReading.isRequest(line, actionVerbs: RequestReading.actionVerbs(tools)),
              !RequestReading.pressesAgainstRules(line) else { return nil }
        let grounded = RequestReading.groundedScores(line + "\n" + context, tools: tools)
        guard let top = grounded.max(), top > 0 else { return nil }
        let tied = grounded.indices.filter { grounded[$0] == top }
        guard tied.count > 1 else { return tied.first.map { tools[$0] } }
        let options = tied.map {
            Array(model.tokenizer.encode(" " + tools[$0].name, addSpecial: false, parseSpecial: false).prefix(maxOptionTokens))
        }
        guard let given = try scores(model: model, npc: npc, system: sidePrompt(npc.config, tools: tools),
                                     line: line, options: options) else { return tools[tied[0]] }
        var best = 0
        for i in given.indices where given[i] > given[best] { best = i }
        return tools[tied[best]]
    }

    /// The side prompt's system message: the NPC and its actions.
    private static func sidePrompt(_ config: NPCConfig, tools: [ToolSpec]) -> String {
        var system = "You decide what \(config.name) does in a game. \(config.name): \(config.persona)\nActions:"
        for t in tools { system += "\n- \(t.name): \(t.description)" }
        system += "\nPick the action the player's line asks \(config.name) to take."
        return system
    }

    /// Log-probability of each option (its name's tokens) after the side prompt
    /// for `line`; nil when the prompt does not fit.
    private static func scores(model: LanguageModel, npc: NPC, system: String, line: String,
                               options: [[Int32]]) throws(RuntimeError) -> [Float]? {
        let user = "The player says: \"\(line)\"\nWhich action?"
        let prompt = model.tokenize([ChatMessage(.system, system), ChatMessage(.user, user)])
            + model.tokenizer.encode("Action:", addSpecial: false, parseSpecial: false)

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
