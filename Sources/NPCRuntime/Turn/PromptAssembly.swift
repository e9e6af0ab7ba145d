/// The first stage of a turn: the prompt as messages — the NPC's persona and
/// lore (system), the summary of dropped exchanges, the conversation, the
/// player's line and the turn's tool steps so far.
enum PromptAssembly {
    static func request(for turn: Turn) -> ReplyRequest {
        let npc = turn.npc
        let config = npc.config
        let tail = [ChatMessage(.user, turn.line)] + turn.toolSteps
        return ReplyRequest(npc: npc, messages: npc.messages(adding: tail),
                            shorten: { npc.dropOldestExchange() ? npc.messages(adding: tail) : nil },
                            maxTokens: config.maxReplyTokens, sampler: config.sampler)
    }
}
