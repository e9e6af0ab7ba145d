extension Runtime {
    /// Gives a new NPC earlier exchanges (player line, NPC reply) as if they had
    /// been spoken: a game's scripted opening, or an evaluation's `history`. The
    /// lines are conversation text like any other (never markup); only before
    /// the NPC's first turn.
    public func preload(_ npc: NPC, history: [(player: String, npc: String)]) throws(RuntimeError) {
        for exchange in history {
            try NPCLimits.validatePlayerLine(exchange.player)
            try NPCLimits.validatePlayerLine(exchange.npc)
        }
        let idle = npc.lock.withLock { npc.activeTurn == nil }
        guard idle, npc.turnCount == 0, npc.history.isEmpty else {
            throw RuntimeError(.invalidState, "\(npc.config.name) has already spoken; history can only be preloaded before the first turn")
        }
        let messages = history.flatMap { [ChatMessage(.user, $0.player), ChatMessage(.assistant, $0.npc)] }
        npc.restore(history: messages, summary: "", turnCount: UInt64(history.count))
    }
}
