import NPCRuntime

/// OpenAI Chat Completions on the wire: the request body, and the streamed
/// response (SSE chunks) back into reply pieces. Pure functions over values,
/// so every malformed input is testable without a socket.
public enum OpenAIChat {
    /// The request for `messages` with streaming and usage on.
    public static func requestBody(model: String, messages: [ChatMessage], tools: [ToolSpec],
                                   maxTokens: Int, sampler: SamplerConfig) -> [UInt8] {
        var fields: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("messages", .array(wireMessages(messages))),
            ("stream", .bool(true)),
            ("stream_options", .object([("include_usage", .bool(true))])),
            ("max_tokens", .number(Double(maxTokens))),
            ("temperature", .number(Double(sampler.temperature))),
        ]
        if sampler.topP < 1 { fields.append(("top_p", .number(Double(sampler.topP)))) }
        if !tools.isEmpty {
            fields.append(("tools", .array(tools.map { tool in
                .object([("type", .string("function")),
                         ("function", .object([("name", .string(tool.name)), ("description", .string(tool.description)),
                                               ("parameters", tool.parameters.json)]))])
            })))
        }
        return Array(JSONValue.object(fields).serialized.utf8)
    }

    /// The conversation in OpenAI's shape: an assistant message holding this
    /// project's call transcript becomes `tool_calls`, and the tool message after
    /// it answers that call's id.
    public static func wireMessages(_ messages: [ChatMessage]) -> [JSONValue] {
        var out: [JSONValue] = []
        var lastCallID = ""
        var callCount = 0
        for message in messages {
            switch message.role {
            case .assistant:
                let (text, call) = splitCall(message.content)
                var fields: [(String, JSONValue)] = [("role", .string("assistant")), ("content", text.isEmpty && call != nil ? .null : .string(text))]
                if let call {
                    callCount += 1
                    lastCallID = "call_\(callCount)"
                    fields.append(("tool_calls", .array([.object([
                        ("id", .string(lastCallID)), ("type", .string("function")),
                        ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments.serialized))])),
                    ])])))
                }
                out.append(.object(fields))
            case .tool:
                out.append(.object([("role", .string("tool")), ("tool_call_id", .string(lastCallID)),
                                    ("content", .string(message.content))]))
            case .system, .user:
                out.append(.object([("role", .string(message.role.rawValue)), ("content", .string(message.content))]))
            }
        }
        return out
    }

    /// Text before a call transcript, and the call.
    static func splitCall(_ content: String) -> (String, ParsedCall?) {
        guard let start = content.firstRange(of: ToolFormat.callPrefix),
              let call = try? ParsedCall(text: String(content[start.upperBound...]), suffix: ToolFormat.callSuffix)
        else { return (content, nil) }
        return (String(content[..<start.lowerBound]), call)
    }
}

/// Streamed chat-completion chunks → text deltas and whole tool calls.
/// Calls arrive in fragments (id and name first, arguments in pieces) and are
/// yielded once the stream says it finished.
public struct ChatStreamDecoder {
    public static let maxCalls = 4
    public static let maxArgumentBytes = 16_384

    private var sse = SSEDecoder(maxLineBytes: 1 << 20)
    private var calls: [(id: String, name: String, arguments: String)] = []
    public private(set) var finishReason: String?
    public private(set) var sawDone = false
    public private(set) var promptTokens: Int?
    public private(set) var completionTokens: Int?
    /// Bytes of content received (an estimate of tokens when the server reports no usage).
    public private(set) var contentBytes = 0

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) throws(RuntimeError) -> [ReplyPiece] {
        let events: [SSEDecoder.Event]
        do { events = try sse.feed(bytes) } catch {
            throw RuntimeError(.remote, "remote stream: a line longer than \(sse.maxLineBytes) bytes")
        }
        var pieces: [ReplyPiece] = []
        for event in events where !sawDone {
            if event.data == "[DONE]" { sawDone = true; break }
            try decodeChunk(event.data, into: &pieces)
        }
        return pieces
    }

    /// At the end of the body: the calls, or an error if the stream was cut short.
    public mutating func finish() throws(RuntimeError) -> [ReplyPiece] {
        guard sawDone || finishReason != nil else {
            throw RuntimeError(.remote, "remote stream ended before the reply was finished")
        }
        return try takeCalls()
    }

    private mutating func takeCalls() throws(RuntimeError) -> [ReplyPiece] {
        defer { calls.removeAll() }
        return try calls.map { call throws(RuntimeError) -> ReplyPiece in
            guard !call.name.isEmpty else { throw RuntimeError(.remote, "remote tool call without a function name") }
            let arguments = call.arguments.trimmedWhitespace.isEmpty ? "{}" : call.arguments
            return .toolCall(ToolCall(id: call.id, name: call.name, arguments: arguments))
        }
    }

    private mutating func decodeChunk(_ data: String, into pieces: inout [ReplyPiece]) throws(RuntimeError) {
        let chunk: JSONValue
        do { chunk = try JSONParser.parse(data) } catch {
            throw RuntimeError(.remote, "remote stream: \(error.message)")
        }
        if let error = chunk["error"] {
            let message = error["message"]?.stringValue ?? error.stringValue ?? "unspecified error"
            throw RuntimeError(.remote, "remote error mid-stream: \(message.prefix(200))")
        }
        guard chunk.objectValue != nil else { throw RuntimeError(.remote, "remote stream: a chunk is not an object") }
        if let usage = chunk["usage"], usage.objectValue != nil {
            promptTokens = usage["prompt_tokens"]?.intValue ?? promptTokens
            completionTokens = usage["completion_tokens"]?.intValue ?? completionTokens
        }
        guard let choice = chunk["choices"]?.arrayValue?.first else { return }  // usage-only chunk
        if let delta = choice["delta"] ?? choice["message"] {
            if let text = delta["content"]?.stringValue, !text.isEmpty {
                contentBytes += text.utf8.count
                pieces.append(.text(text))
            }
            for fragment in delta["tool_calls"]?.arrayValue ?? [] {
                try merge(fragment)
            }
        }
        if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
    }

    /// One fragment of a streamed call, matched by `index` (or appended).
    private mutating func merge(_ fragment: JSONValue) throws(RuntimeError) {
        let index = fragment["index"]?.intValue ?? calls.count
        if index == calls.count {
            guard calls.count < Self.maxCalls else { throw RuntimeError(.remote, "remote reply has more than \(Self.maxCalls) tool calls") }
            calls.append((id: "", name: "", arguments: ""))
        }
        guard calls.indices.contains(index) else { throw RuntimeError(.remote, "remote tool call fragment with index \(index) out of order") }
        if let id = fragment["id"]?.stringValue { calls[index].id = id }
        let function = fragment["function"]
        if let name = function?["name"]?.stringValue { calls[index].name += name }
        if let arguments = function?["arguments"] {
            // most servers stream a string; some send the object whole
            calls[index].arguments += arguments.stringValue ?? arguments.serialized
        }
        guard calls[index].arguments.utf8.count <= Self.maxArgumentBytes, calls[index].name.utf8.count <= ToolSpec.maxNameBytes else {
            throw RuntimeError(.remote, "remote tool call larger than \(Self.maxArgumentBytes) bytes")
        }
    }
}
