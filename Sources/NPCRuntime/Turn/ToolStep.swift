/// What the game's precondition says about a call it is about to run.
public enum ToolGuardVerdict: Sendable, Equatable {
    case allow
    /// Refused; the reason goes back to the model as the tool result, so the NPC
    /// says so in character.
    case refuse(String)
}

/// The game's precondition for one tool: it gets the call's arguments (a JSON
/// object) and runs on the game's thread, inside `Runtime.poll`.
public typealias ToolGuard = @Sendable (_ arguments: String) -> ToolGuardVerdict

/// The checks a call passes before the game sees it. On the model worker: the
/// NPC's allowlist and the tool's schema. On the game's thread (`Runtime.poll`):
/// the game's guard, then the tool's rate limit.
enum ToolStep {
    /// nil when `call` names one of `tools` and its arguments match that tool's schema.
    static func problem(with call: ToolCall, tools: [ToolSpec]) -> String? {
        let arguments: JSONValue
        do { arguments = try JSONParser.parse(call.arguments) } catch { return "the arguments are not JSON (\(error.message))" }
        return ParsedCall(name: call.name, arguments: arguments).validate(against: tools)
            .map { "invalid call of \(call.name.prefix(64)): \($0)" }
    }

    /// The tool result the model sees for a call that did not run.
    static func refusal(_ reason: String) -> String {
        JSONValue.object([("ok", .bool(false)), ("refused", .string(reason))]).serialized
    }
}

/// Calls per tool per NPC within a sliding window, counted when the game is
/// handed the call.
struct ToolRateLimit: Sendable {
    var maxCalls: Int
    var windowMs: Double
    var recent: [Double] = []

    /// Records a call at `now` if the window has room.
    mutating func admit(now: Double) -> Bool {
        recent.removeAll { now - $0 >= windowMs }
        guard recent.count < maxCalls else { return false }
        recent.append(now)
        return true
    }

    /// Whether a call at `now` would be admitted, without recording one.
    func hasRoom(now: Double) -> Bool { recent.filter { now - $0 < windowMs }.count < maxCalls }

    static func refusal(_ tool: String) -> String { "\(tool) was used too often just now" }
}
