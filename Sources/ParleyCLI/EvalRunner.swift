import Foundation
import ComputeRouter
import NPCRuntime

/// Runs cases on one Runtime, each in a fresh NPC, the way a game would: the
/// NPC built from the case's `npc`, `history` preloaded, tools declared, the
/// case's guards registered through the guard API, events drained with the
/// game's `Runtime.poll` (where guards run), every call that reaches the game
/// executed (answered ok). It sees only a case's `EvalInput`, never its id,
/// kind or labels.
final class EvalRunner {
    let runtime: Runtime
    /// Tokens and USD the remote model billed so far (nil: no remote).
    let remoteSpent: (() -> (tokens: Int, usd: Double))?
    let mode: String
    let policy: RoutingPolicy
    /// A turn that has not finished by then is cancelled.
    let turnTimeoutMs: Double
    static let toolResult = #"{"ok":true}"#

    init(runtime: Runtime, mode: String, remoteSpent: (() -> (tokens: Int, usd: Double))? = nil, turnTimeoutMs: Double = 180_000) {
        self.runtime = runtime
        self.remoteSpent = remoteSpent
        self.mode = mode
        policy = mode == "local" ? .local : mode == "remote" ? .remote : .auto
        self.turnTimeoutMs = turnTimeoutMs
    }

    /// What the case's guards refused, so a refused (valid) call is told from an invalid one.
    final class Refusals: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(tool: String, arguments: String)] = []
        func add(_ tool: String, _ arguments: String) { lock.withLock { items.append((tool, arguments)) } }
        /// Takes the oldest refusal of `tool` (with these arguments when known).
        func take(_ tool: String, _ arguments: String?) -> Bool {
            lock.withLock {
                guard let i = items.firstIndex(where: { $0.tool == tool && (arguments == nil || $0.arguments == arguments) })
                    ?? items.firstIndex(where: { $0.tool == tool }) else { return false }
                items.remove(at: i)
                return true
            }
        }
    }

    func run(_ input: EvalInput) -> EvalRun {
        var result = EvalRun()
        result.mode = mode
        result.cues = TurnDifficulty(EvalSweep.routeRequest(input)).cues
        let npc: NPC
        let refusals = Refusals()
        do {
            var config = NPCConfig(name: input.name, persona: input.persona)
            config.knowledge = input.knowledge
            config.policy = policy
            config.tools = try input.tools.map { t throws(RuntimeError) in
                try ToolSpec(name: t.name, description: t.description, parametersJSON: t.parametersJSON)
            }
            npc = try runtime.createNPC(config)
        } catch {
            result.status = "setup: \(error.message)"
            return result
        }
        defer { runtime.destroyNPC(npc) }
        let turn: UInt64
        do {
            // The case's guards, registered as a game would: its verdict on each call's arguments.
            let guards = input.guards
            for tool in guards.keys.sorted() {
                try runtime.setToolGuard(npc, tool: tool) { arguments in
                    if EvalScoring.guardAllows(tool: tool, argumentsJSON: arguments, guards: guards) { return .allow }
                    refusals.add(tool, arguments)
                    return .refuse("the game does not allow that")
                }
            }
            try runtime.preload(npc, history: input.history)
            turn = try runtime.say(npc, input.player)
        } catch {
            result.status = "\(error.kind)"
            return result
        }
        let start = runtime.events.now()
        let spentBefore = remoteSpent?()
        var text = ""
        var cancelled = false
        while true {
            guard let e = runtime.poll() else {
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
            case .toolCall:
                let call = EvalRun.Call(name: e.name ?? "", arguments: e.text.flatMap { try? JSONParser.parse($0) }, valid: true)
                result.emitted.append(call)
                result.executed.append(call)  // the game's hook runs it
                if let id = e.callID { try? runtime.toolResult(npc, callID: id, result: Self.toolResult) }
            case .error where e.errorKind == .toolRejected:
                guard let name = e.name else { break }
                let refused = refusals.take(name, e.toolArguments)
                result.emitted.append(EvalRun.Call(name: name, arguments: e.toolArguments.flatMap { try? JSONParser.parse($0) },
                                                   valid: refused))
            case .done:
                result.doneMs = e.timeMs - start
                result.status = cancelled ? "timeout" : e.errorKind.map { "\($0)" } ?? "ok"
                result.reply = (e.text ?? text).trimmedWhitespace
                if let spentBefore, let spent = remoteSpent?() {
                    result.remoteTokens = spent.tokens - spentBefore.tokens
                    result.remoteUSD = spent.usd - spentBefore.usd
                }
                return result
            default:
                break
            }
        }
    }
}
