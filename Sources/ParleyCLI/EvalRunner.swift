import Foundation
import NPCRuntime

/// Runs cases on one Runtime, each in a fresh NPC, the way a game would: the
/// NPC built from the case's `npc`, `history` preloaded, tools declared, the
/// case's guards registered through the guard API, events drained with the
/// game's poll, every call that reaches the game executed (answered ok).
/// It sees only a case's `EvalInput`, never its id, kind or labels.
final class EvalRunner {
    let runtime: Runtime
    let mode: String
    let policy: RoutingPolicy
    /// A turn that has not finished by then is cancelled.
    let turnTimeoutMs: Double

    init(runtime: Runtime, mode: String, turnTimeoutMs: Double = 180_000) {
        self.runtime = runtime
        self.mode = mode
        policy = mode == "local" ? .local : mode == "remote" ? .remote : .auto
        self.turnTimeoutMs = turnTimeoutMs
    }

    func run(_ input: EvalInput) -> EvalRun {
        var result = EvalRun()
        result.mode = mode
        var config = NPCConfig(name: input.name, persona: input.persona)
        config.knowledge = input.knowledge
        config.policy = policy
        let npc: NPC
        do {
            npc = try runtime.createNPC(config)
        } catch {
            result.status = "setup: \(error.message)"
            return result
        }
        defer { runtime.destroyNPC(npc) }
        let turn: UInt64
        do {
            try runtime.preload(npc, history: input.history)
            turn = try runtime.say(npc, input.player)
        } catch {
            result.status = "\(error.kind)"
            return result
        }
        let start = runtime.events.now()
        var text = ""
        var cancelled = false
        while true {
            guard let e = runtime.events.poll() else {
                if !cancelled && runtime.events.now() - start > turnTimeoutMs {
                    runtime.cancel(npc)
                    cancelled = true
                }
                usleep(1000)
                continue
            }
            guard e.npcID == npc.id, e.turnID == turn else { continue }
            switch e.kind {
            case .route:
                if result.route == nil, let payload = e.text, let json = try? JSONParser.parse(payload) {
                    result.route = json["route"]?.stringValue
                }
            case .text:
                if result.firstTextMs == nil { result.firstTextMs = e.timeMs - start }
                text += e.text ?? ""
            case .done:
                result.doneMs = e.timeMs - start
                result.status = cancelled ? "timeout" : e.errorKind.map { "\($0)" } ?? "ok"
                result.reply = (e.text ?? text).trimmingWhitespace
                return result
            default:
                break
            }
        }
    }
}
