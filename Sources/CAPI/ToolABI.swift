// parley_npc_add_tool, tool guards and rate limits, parley_tool_result: translation
// only. The checks (names, schemas, allowlist, guard order, rate windows, result
// size, which call is waiting) live in NPCRuntime's Runtime and ToolSpec.
import NPCRuntime
import ParleyABI
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("parley_npc_add_tool")
public func parley_npc_add_tool(_ npc: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ description: UnsafePointer<CChar>?,
                                _ parametersJSON: UnsafePointer<CChar>?) -> parley_status {
    guard let npc, let name, let parametersJSON else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_add_tool: npc, name and parameters_json must not be NULL")
    }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do {
        let spec = try ToolSpec(name: try string(name, "tool name") ?? "",
                                description: try string(description, "tool description") ?? "",
                                parametersJSON: try string(parametersJSON, "parameters_json") ?? "")
        try h.owner.runtime.addTool(h.npc, spec)
        return PARLEY_OK
    } catch {
        return fail(status(for: error.parleyKind), "parley_npc_add_tool: " + error.parleyMessage)
    }
}

/// A C guard and its user_data. The game promises (parley.h) to keep user_data alive
/// while the guard is set and that the guard runs only on the polling thread, inside
/// parley_poll: that promise is what makes the capture Sendable.
final class CToolGuard: @unchecked Sendable {
    static let reasonCapacity = 512
    let fn: parley_tool_guard_fn
    let userData: UnsafeMutableRawPointer?
    let tool: [CChar]

    init(fn: parley_tool_guard_fn, userData: UnsafeMutableRawPointer?, tool: String) {
        self.fn = fn
        self.userData = userData
        self.tool = Array(tool.utf8CString)
    }

    func check(_ arguments: String) -> ToolGuardVerdict {
        var reason = [CChar](repeating: 0, count: Self.reasonCapacity)
        let allowed = tool.withUnsafeBufferPointer { tool in
            arguments.withCString { args in
                reason.withUnsafeMutableBufferPointer { buf in
                    fn(userData, tool.baseAddress, args, buf.baseAddress, buf.count)
                }
            }
        }
        if allowed != 0 { return .allow }
        // The guard may have filled the buffer without a NUL, or cut a character in two.
        let bytes = reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return .refuse(text.isEmpty ? "refused by the game" : text)
    }
}

@_cdecl("parley_npc_set_tool_guard")
public func parley_npc_set_tool_guard(_ npc: OpaquePointer?, _ tool: UnsafePointer<CChar>?,
                                      _ fn: parley_tool_guard_fn?, _ userData: UnsafeMutableRawPointer?) -> parley_status {
    guard let npc, let tool else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_set_tool_guard: npc and tool must not be NULL") }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do {
        guard let name = try string(tool, "tool") else { return PARLEY_ERR_INVALID_ARGUMENT }
        let check: ToolGuard? = fn.map { fn in
            let g = CToolGuard(fn: fn, userData: userData, tool: name)
            return { arguments in g.check(arguments) }
        }
        try h.owner.runtime.setToolGuard(h.npc, tool: name, check)
        return PARLEY_OK
    } catch {
        return fail(status(for: error.parleyKind), "parley_npc_set_tool_guard: " + error.parleyMessage)
    }
}

@_cdecl("parley_npc_set_tool_rate_limit")
public func parley_npc_set_tool_rate_limit(_ npc: OpaquePointer?, _ tool: UnsafePointer<CChar>?,
                                           _ maxCalls: Int32, _ seconds: Double) -> parley_status {
    guard let npc, let tool else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_npc_set_tool_rate_limit: npc and tool must not be NULL") }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do {
        guard let name = try string(tool, "tool") else { return PARLEY_ERR_INVALID_ARGUMENT }
        try h.owner.runtime.setToolRateLimit(h.npc, tool: name, maxCalls: Int(maxCalls), seconds: seconds)
        return PARLEY_OK
    } catch {
        return fail(status(for: error.parleyKind), "parley_npc_set_tool_rate_limit: " + error.parleyMessage)
    }
}

/// The tool result the model sees when the game could not run the call (parley.h):
/// {"ok":false,"error":"<status>"} and the game's own details.
func failedToolResult(_ status: parley_status, detail: String?) -> String {
    var members: [(String, JSONValue)] = [("ok", .bool(false)),
                                          ("error", .string(String(cString: parley_status_string(status))))]
    if let detail {
        switch try? JSONParser.parse(detail) {
        case let .object(game)?:
            for (key, value) in game where key != "ok" {
                members.append((key == "error" ? "detail" : key, value))
            }
        case let value?: members.append(("detail", value))
        case nil: members.append(("detail", .string(detail)))
        }
    }
    return JSONValue.object(members).serialized
}

@_cdecl("parley_tool_result")
public func parley_tool_result(_ npc: OpaquePointer?, _ callID: UnsafePointer<CChar>?, _ outcome: parley_status,
                               _ resultJSON: UnsafePointer<CChar>?) -> parley_status {
    guard let npc, let callID else { return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_tool_result: npc and call_id must not be NULL") }
    guard outcome != PARLEY_OK || resultJSON != nil else {
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "parley_tool_result: result_json must not be NULL when status is PARLEY_OK")
    }
    guard let h = npcHandle(npc) else { return notLive(#function, "npc") }
    if let refused = h.owner.refuseOffThread(#function) { return refused }
    do {
        // Bounded before it is read as text or parsed: the runtime's limit applies to what the model sees.
        if let resultJSON, strnlen(resultJSON, Runtime.maxToolResultBytes + 1) > Runtime.maxToolResultBytes {
            throw RuntimeError(.invalidArgument, "result_json is longer than \(Runtime.maxToolResultBytes) bytes")
        }
        guard let id = try string(callID, "call_id") else { return PARLEY_ERR_INVALID_ARGUMENT }
        let given = try string(resultJSON, "result_json")
        let result = outcome == PARLEY_OK ? given ?? "" : failedToolResult(outcome, detail: given)
        try h.owner.runtime.toolResult(h.npc, callID: id, result: result)
        return PARLEY_OK
    } catch {
        return fail(status(for: error.parleyKind), "parley_tool_result: " + error.parleyMessage)
    }
}
