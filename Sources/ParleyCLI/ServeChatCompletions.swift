import NPCRuntime

/// An OpenAI-style error: `{"error": {"message", "type", "param", "code"}}`
/// with its HTTP status.
struct APIError: Error, Equatable {
    var status: Int
    var message: String
    var code: String?
    var param: String?

    init(_ status: Int, _ message: String, code: String? = nil, param: String? = nil) {
        self.status = status
        self.message = message
        self.code = code ?? Self.defaultCode(status)
        self.param = param
    }

    var type: String { status >= 500 ? "server_error" : "invalid_request_error" }

    var json: String {
        JSONValue.object([("error", .object([
            ("message", .string(message)),
            ("type", .string(type)),
            ("param", param.map { .string($0) } ?? .null),
            ("code", code.map { .string($0) } ?? .null),
        ]))]).serialized
    }

    static func defaultCode(_ status: Int) -> String? {
        switch status {
        case 400: return "invalid_request"
        case 401: return "invalid_api_key"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 411: return "length_required"
        case 413: return "request_too_large"
        case 431: return "headers_too_large"
        case 501: return "not_implemented"
        case 503: return "server_busy"
        case 505: return "http_version_not_supported"
        default: return status >= 500 ? "server_error" : nil
        }
    }
}

/// A Chat Completions request, checked: everything the engine needs, or an
/// `APIError` naming the offending parameter. Unknown fields are ignored;
/// fields this server cannot honour (n > 1, stop, logprobs, JSON modes) are
/// refused rather than silently dropped.
struct ChatCompletionRequest {
    enum ToolChoice: Equatable {
        case none, auto, required
        case named(String)
    }

    var model: String?
    var messages: [ChatMessage]
    var stream = false
    var includeUsage = false
    var maxTokens: Int?
    var temperature: Float?
    var topP: Float?
    var seed: UInt64?
    var tools: [ToolSpec] = []
    var toolChoice = ToolChoice.none

    /// The tools the reply must call from (`tool_choice` "required" or named); empty otherwise.
    var requiredTools: [ToolSpec] {
        switch toolChoice {
        case .none, .auto: return []
        case .required: return tools
        case let .named(name): return tools.filter { $0.name == name }
        }
    }

    static func parse(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch {
            throw APIError(400, "We could not parse the JSON body of your request: \(error.message)", code: "invalid_json")
        }
        guard json.objectValue != nil else { throw APIError(400, "the request body must be a JSON object", code: "invalid_json") }
        func present(_ key: String) -> JSONValue? {
            guard let v = json[key], v != .null else { return nil }
            return v
        }

        var model: String?
        if let v = present("model") {
            guard let s = v.stringValue else { throw APIError(400, "'model' must be a string", param: "model") }
            model = s
        }
        guard let list = present("messages")?.arrayValue else {
            throw APIError(400, "'messages' is required and must be an array", param: "messages")
        }
        guard !list.isEmpty else { throw APIError(400, "'messages' must not be empty", param: "messages") }
        var messages: [ChatMessage] = []
        for (i, m) in list.enumerated() { messages.append(try message(m, index: i)) }
        var request = ChatCompletionRequest(model: model, messages: messages)

        if let v = present("stream") {
            guard let b = v.boolValue else { throw APIError(400, "'stream' must be a boolean", param: "stream") }
            request.stream = b
        }
        if let v = present("stream_options") {
            guard v.objectValue != nil else { throw APIError(400, "'stream_options' must be an object", param: "stream_options") }
            if let u = v["include_usage"], u != .null {
                guard let b = u.boolValue else {
                    throw APIError(400, "'stream_options.include_usage' must be a boolean", param: "stream_options.include_usage")
                }
                request.includeUsage = b
            }
        }
        // max_completion_tokens supersedes the older max_tokens
        for key in ["max_tokens", "max_completion_tokens"] {
            guard let v = present(key) else { continue }
            guard let n = v.intValue, n >= 1 else { throw APIError(400, "'\(key)' must be an integer of at least 1", param: key) }
            request.maxTokens = n
        }
        if let v = present("temperature") {
            guard let t = v.doubleValue, t >= 0, t <= 2 else {
                throw APIError(400, "'temperature' must be a number from 0 to 2", param: "temperature")
            }
            request.temperature = Float(t)
        }
        if let v = present("top_p") {
            guard let p = v.doubleValue, p >= 0, p <= 1 else { throw APIError(400, "'top_p' must be a number from 0 to 1", param: "top_p") }
            request.topP = Float(p)
        }
        if let v = present("seed") {
            guard let n = v.intValue else { throw APIError(400, "'seed' must be an integer", param: "seed") }
            request.seed = UInt64(bitPattern: Int64(n))
        }
        if let v = present("n"), v.intValue != 1 {
            throw APIError(400, "this server returns one choice: 'n' must be 1", param: "n")
        }
        if let v = present("stop"), v != .array([]) {
            throw APIError(400, "stop sequences are not supported by this server", param: "stop")
        }
        if let v = present("logprobs"), v != .bool(false) {
            throw APIError(400, "logprobs are not supported by this server", param: "logprobs")
        }
        if let v = present("response_format"), v["type"]?.stringValue != "text" {
            throw APIError(400, "only the 'text' response format is supported", param: "response_format")
        }
        if let v = present("tools") {
            guard let items = v.arrayValue else { throw APIError(400, "'tools' must be an array", param: "tools") }
            for (i, item) in items.enumerated() { request.tools.append(try tool(item, index: i)) }
            var seen = Set<String>()
            for t in request.tools where !seen.insert(t.name).inserted {
                throw APIError(400, "tool '\(t.name)' is declared twice", param: "tools")
            }
        }
        request.toolChoice = request.tools.isEmpty ? .none : .auto
        if let v = present("tool_choice") {
            switch v.stringValue {
            case "none"?: request.toolChoice = .none
            case "auto"?: request.toolChoice = request.tools.isEmpty ? .none : .auto
            case "required"?: request.toolChoice = .required
            case .some: throw APIError(400, "'tool_choice' must be \"none\", \"auto\", \"required\" or a named function", param: "tool_choice")
            case nil:
                guard v["type"]?.stringValue == "function", let name = v["function"]?["name"]?.stringValue else {
                    throw APIError(400, "'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}",
                                   param: "tool_choice")
                }
                request.toolChoice = .named(name)
            }
            if request.toolChoice != .none, request.requiredTools.isEmpty, request.toolChoice != .auto {
                throw APIError(400, request.tools.isEmpty ? "'tool_choice' asks for a call but no tools were given"
                                                          : "'tool_choice' names a function that is not in 'tools'",
                               param: "tool_choice")
            }
        }
        return request
    }

    /// One message, with tool calls and results in the engine's conversation format.
    static func message(_ m: JSONValue, index i: Int) throws(APIError) -> ChatMessage {
        let param = "messages[\(i)]"
        guard m.objectValue != nil, let role = m["role"]?.stringValue else {
            throw APIError(400, "\(param) must be an object with a string 'role'", param: param)
        }
        let text = try content(m["content"], param: param + ".content")
        switch role {
        case "system", "developer":
            return ChatMessage(.system, text ?? "")
        case "user":
            guard let text else { throw APIError(400, "\(param).content is required", param: param + ".content") }
            return ChatMessage(.user, text)
        case "tool":
            guard let text else { throw APIError(400, "\(param).content is required", param: param + ".content") }
            return ChatMessage(.tool, text)
        case "assistant":
            // earlier calls are rendered as the model itself writes them
            var parts = text.map { $0.isEmpty ? [] : [$0] } ?? []
            if let calls = m["tool_calls"], calls != .null {
                guard let items = calls.arrayValue else { throw APIError(400, "\(param).tool_calls must be an array", param: param + ".tool_calls") }
                for (k, call) in items.enumerated() {
                    let p = "\(param).tool_calls[\(k)]"
                    guard let name = call["function"]?["name"]?.stringValue else {
                        throw APIError(400, "\(p).function.name is required", param: p)
                    }
                    let argumentsText = call["function"]?["arguments"]?.stringValue ?? "{}"
                    let arguments: JSONValue
                    do { arguments = try JSONParser.parse(argumentsText) } catch {
                        throw APIError(400, "\(p).function.arguments is not valid JSON: \(error.message)", param: p)
                    }
                    parts.append(ToolFormat.transcript(name: name, arguments: arguments.serialized))
                }
            }
            return ChatMessage(.assistant, parts.joined(separator: "\n"))
        default:
            throw APIError(400, "\(param).role '\(role)' is not one of system, developer, user, assistant, tool", param: param + ".role")
        }
    }

    /// A string, or an array of text parts joined; nil when absent or null.
    static func content(_ value: JSONValue?, param: String) throws(APIError) -> String? {
        switch value {
        case nil, .null?: return nil
        case let .string(s)?: return s
        case let .array(parts)?:
            var out = ""
            for part in parts {
                guard let type = part["type"]?.stringValue, type == "text" || type == "refusal",
                      let text = (part["text"] ?? part["refusal"])?.stringValue else {
                    throw APIError(400, "\(param): only text content parts are supported", param: param)
                }
                out += text
            }
            return out
        default:
            throw APIError(400, "\(param) must be a string or an array of text parts", param: param)
        }
    }

    static func tool(_ item: JSONValue, index i: Int) throws(APIError) -> ToolSpec {
        let param = "tools[\(i)]"
        guard item["type"]?.stringValue == "function", let function = item["function"], function.objectValue != nil,
              let name = function["name"]?.stringValue else {
            throw APIError(400, "\(param) must be {\"type\": \"function\", \"function\": {\"name\": …}}", param: param)
        }
        let description = function["description"]?.stringValue ?? ""
        // no parameters: a function without arguments
        let parameters = function["parameters"].flatMap { $0 == .null ? nil : $0 }
            ?? .object([("type", .string("object")), ("properties", .object([]))])
        do {
            return try ToolSpec(name: name, description: description, parameters: ToolSchema(json: parameters, path: param + ".function.parameters"))
        } catch {
            throw APIError(400, error.message, param: param)
        }
    }
}

/// The JSON of responses and stream chunks, in OpenAI's field order.
struct CompletionEncoder {
    let id: String
    let created: Int
    let model: String

    struct Usage {
        var prompt: Int
        var completion: Int
        var json: JSONValue {
            .object([("prompt_tokens", .number(Double(prompt))), ("completion_tokens", .number(Double(completion))),
                     ("total_tokens", .number(Double(prompt + completion)))])
        }
    }

    static func toolCallJSON(_ call: ToolCall) -> JSONValue {
        .object([("id", .string(call.id)), ("type", .string("function")),
                 ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments))]))])
    }

    /// The whole (non-streamed) response.
    func completion(text: String, toolCalls: [ToolCall], finishReason: String, usage: Usage) -> String {
        var message: [(String, JSONValue)] = [("role", .string("assistant")),
                                              ("content", toolCalls.isEmpty || !text.isEmpty ? .string(text) : .null)]
        if !toolCalls.isEmpty { message.append(("tool_calls", .array(toolCalls.map(Self.toolCallJSON)))) }
        return JSONValue.object([
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .number(Double(created))),
            ("model", .string(model)),
            ("choices", .array([.object([("index", .number(0)), ("message", .object(message)),
                                         ("logprobs", .null), ("finish_reason", .string(finishReason))])])),
            ("usage", usage.json),
        ]).serialized
    }

    /// One SSE event carrying a chunk; with `includeUsage` every chunk has `"usage": null`, as OpenAI's do.
    func chunk(delta: [(String, JSONValue)], finishReason: String? = nil, includeUsage: Bool) -> String {
        var fields: [(String, JSONValue)] = [
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .number(Double(created))),
            ("model", .string(model)),
            ("choices", .array([.object([("index", .number(0)), ("delta", .object(delta)), ("logprobs", .null),
                                         ("finish_reason", finishReason.map { .string($0) } ?? .null)])])),
        ]
        if includeUsage { fields.append(("usage", .null)) }
        return "data: " + JSONValue.object(fields).serialized + "\n\n"
    }

    /// The usage-only chunk (empty choices) sent before `[DONE]` when asked for.
    func usageChunk(_ usage: Usage) -> String {
        "data: " + JSONValue.object([
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .number(Double(created))),
            ("model", .string(model)), ("choices", .array([])), ("usage", usage.json),
        ]).serialized + "\n\n"
    }

    /// A tool call as OpenAI streams it: id, type and name with empty
    /// arguments first, then the arguments.
    func toolCallChunks(_ call: ToolCall, index: Int, includeUsage: Bool) -> [String] {
        let head: JSONValue = .object([
            ("index", .number(Double(index))), ("id", .string(call.id)), ("type", .string("function")),
            ("function", .object([("name", .string(call.name)), ("arguments", .string(""))])),
        ])
        let args: JSONValue = .object([("index", .number(Double(index))), ("function", .object([("arguments", .string(call.arguments))]))])
        return [chunk(delta: [("tool_calls", .array([head]))], includeUsage: includeUsage),
                chunk(delta: [("tool_calls", .array([args]))], includeUsage: includeUsage)]
    }

    static let done = "data: [DONE]\n\n"
}
