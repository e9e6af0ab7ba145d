import Foundation
import HTTPServer
import NPCRuntime

/// The OpenAI-compatible API over one loaded model: routes, the engine gate,
/// and a completion run through `LocalReplySource` (the same path NPC turns
/// take: KV-cache prefix reuse, the tool decision, grammar-constrained calls).
final class ChatCompletionsService: @unchecked Sendable {
    /// `LocalReplySource` on the loaded model (tests: a scripted source).
    let source: any ReplySource
    let contextLength: Int
    /// The id `/v1/models` lists; a request's own `model` is echoed instead.
    let modelID: String
    let defaultMaxTokens: Int
    /// Seconds a request waits for the model before a 503.
    let queueTimeout: Double
    /// When set, every /v1/ request must carry `Authorization: Bearer <key>`.
    /// Kept as bytes and never formatted into a log line or a response.
    private let apiKey: [UInt8]?
    /// One conversation slot: its KV cache keeps the longest common prefix of
    /// consecutive requests (a client resending a growing chat pays only for the tail).
    private let npc = NPC(id: 1, config: NPCConfig(name: "Assistant", persona: ""))
    private let gate = EngineGate()
    private let log: @Sendable (String) -> Void

    /// `apiKey`: nil or empty for an open server.
    init(source: any ReplySource, contextLength: Int, modelID: String, defaultMaxTokens: Int = 512, queueTimeout: Double = 30,
         apiKey: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.source = source
        self.contextLength = contextLength
        self.modelID = modelID
        self.defaultMaxTokens = max(1, defaultMaxTokens)
        self.queueTimeout = queueTimeout
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.log = log
    }

    convenience init(model: LanguageModel, modelID: String, defaultMaxTokens: Int = 512, queueTimeout: Double = 30,
                     apiKey: String? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(source: LocalReplySource(model: model, seed: 0), contextLength: model.contextLength, modelID: modelID,
                  defaultMaxTokens: defaultMaxTokens, queueTimeout: queueTimeout, apiKey: apiKey, log: log)
    }

    /// True when requests need a key.
    var requiresAPIKey: Bool { apiKey != nil }

    /// The HTTP server's own errors (bad requests, timeouts, 503 when full) as OpenAI error JSON.
    static let errorBody: @Sendable (Int, String) -> (contentType: String, body: [UInt8]) = { status, message in
        ("application/json", Array(APIError(status, message).json.utf8))
    }

    func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        let start = monotonicMs()
        // before routing, so an unauthenticated client learns nothing about the API, not even its paths
        if request.path.hasPrefix("/v1/"), let refusal = authorize(request.headers) {
            send(refusal, to: writer, headers: [("WWW-Authenticate", "Bearer")])
            return log("\(request.method) \(request.path) 401 \(refusal.message)")
        }
        let routes: [String: String] = ["/health": "GET", "/v1/models": "GET", "/v1/chat/completions": "POST"]
        guard let method = routes[request.path] else {
            send(APIError(404, "Invalid URL (\(request.method) \(request.path))"), to: writer)
            return log("\(request.method) \(request.path) 404")
        }
        guard request.method == method else {
            send(APIError(405, "\(request.path) accepts \(method) only"), to: writer, headers: [("Allow", method)])
            return log("\(request.method) \(request.path) 405")
        }
        switch request.path {
        case "/health":
            sendJSON(.object([("status", .string("ok")), ("model", .string(modelID))]), to: writer)
        case "/v1/models":
            sendJSON(.object([("object", .string("list")), ("data", .array([.object([
                ("id", .string(modelID)), ("object", .string("model")), ("created", .number(0)), ("owned_by", .string("parley")),
            ])]))]), to: writer)
        default:
            let summary = completions(request.body, writer)
            return log(String(format: "POST /v1/chat/completions %@ %.0f ms", summary, monotonicMs() - start))
        }
        log("GET \(request.path) 200")
    }

    // MARK: authentication

    /// nil when the request may go on; else the 401 to send (its message never quotes what was sent).
    func authorize(_ headers: HTTPHeaders) -> APIError? {
        guard let key = apiKey else { return nil }
        let values = headers.values("Authorization")
        guard values.count == 1, let value = values.first else {
            return APIError(401, values.isEmpty ? "Missing API key: send the header 'Authorization: Bearer <key>'."
                                                : "Send one Authorization header, not \(values.count).",
                            code: "invalid_api_key")
        }
        // RFC 9110 §11.1: the scheme is case-insensitive; one or more spaces before the credentials
        guard value.count > 7, value.prefix(7).lowercased() == "bearer " else {
            return APIError(401, "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key>'.",
                            code: "invalid_api_key")
        }
        let token = Array(value.dropFirst(7).drop { $0 == " " }.utf8)
        guard Self.constantTimeEquals(token, key) else {
            return APIError(401, "Incorrect API key provided.", code: "invalid_api_key")
        }
        return nil
    }

    /// Compares without an early exit: the time taken depends on the length of
    /// `given` only, never on how many leading bytes match `secret`.
    static func constantTimeEquals(_ given: [UInt8], _ secret: [UInt8]) -> Bool {
        guard !secret.isEmpty else { return given.isEmpty }
        var difference = given.count ^ secret.count
        for (i, byte) in given.enumerated() {
            // i % secret.count < secret.count (non-empty): in bounds whatever the length sent
            difference |= Int(byte ^ secret[i % secret.count])
        }
        return difference == 0
    }

    // MARK: completions

    /// Runs one completion; returns a line for the log.
    private func completions(_ body: [UInt8], _ writer: HTTPResponseWriter) -> String {
        let request: ChatCompletionRequest
        do { request = try ChatCompletionRequest.parse(body) } catch {
            send(error, to: writer)
            return "\(error.status) \(error.message)"
        }
        guard gate.acquire(timeout: queueTimeout, giveUp: { writer.isClientGone }) else {
            let e = APIError(503, "the model is busy with other requests; retry later")
            send(e, to: writer, headers: [("Retry-After", "1")])
            return "503 busy"
        }
        defer { gate.release() }

        // the tool decision's side prompt describes the assistant by the system text
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n")
        var config = NPCConfig(name: "Assistant", persona: system.isEmpty ? "A helpful assistant." : String(system.prefix(600)))
        config.tools = request.toolChoice == .auto ? request.tools : []
        npc.config = config

        var sampler = SamplerConfig.npcDefault
        if let t = request.temperature { sampler.temperature = t }
        if let p = request.topP { sampler.topP = p }
        sampler.seed = request.seed ?? UInt64.random(in: 0...UInt64.max)
        let maxTokens = min(request.maxTokens ?? defaultMaxTokens, contextLength)
        let reply = ReplyRequest(npc: npc, messages: request.messages, maxTokens: maxTokens, sampler: sampler,
                                 requiredTools: request.requiredTools)

        var stream: any ReplyStream
        do { stream = try source.start(reply) } catch {
            let e = Self.apiError(error)
            send(e, to: writer)
            return "\(e.status) \(e.message)"
        }
        let encoder = CompletionEncoder(id: "chatcmpl-" + Self.randomID(), created: Int(Date().timeIntervalSince1970),
                                        model: request.model ?? modelID)
        return request.stream
            ? streamed(&stream, request: request, maxTokens: maxTokens, encoder: encoder, writer: writer)
            : whole(&stream, request: request, maxTokens: maxTokens, encoder: encoder, writer: writer)
    }

    private func whole(_ stream: inout any ReplyStream, request: ChatCompletionRequest, maxTokens: Int,
                       encoder: CompletionEncoder, writer: HTTPResponseWriter) -> String {
        var text = ""
        var calls: [ToolCall] = []
        do {
            while let piece = try stream.next() {
                switch piece {
                case let .text(t): text += t
                case let .toolCall(call): calls.append(try checked(call, request))
                }
                // nobody is waiting for the answer: free the model
                if writer.isClientGone { return "client gone after \(stream.stats.generatedTokens) tokens" }
            }
        } catch {
            let e = Self.apiError(error)
            send(e, to: writer)
            return "\(e.status) \(e.message)"
        }
        let usage = CompletionEncoder.Usage(prompt: stream.stats.promptTokens, completion: stream.stats.generatedTokens)
        let finish = finishReason(stream.stats, calls: calls, maxTokens: maxTokens)
        writer.respond(status: 200, headers: [("Content-Type", "application/json")],
                       body: Array(encoder.completion(text: text, toolCalls: calls, finishReason: finish, usage: usage).utf8))
        return "200 \(finish) prompt=\(usage.prompt) completion=\(usage.completion)"
    }

    private func streamed(_ stream: inout any ReplyStream, request: ChatCompletionRequest, maxTokens: Int,
                          encoder: CompletionEncoder, writer: HTTPResponseWriter) -> String {
        let usageField = request.includeUsage
        var started = false
        var calls: [ToolCall] = []
        // the head goes out with the first piece, so an error before it is still a plain HTTP error
        func begin() -> Bool {
            guard !started else { return true }
            started = true
            writer.writeHead(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
            writer.write(encoder.chunk(delta: [("role", .string("assistant")), ("content", .string(""))], includeUsage: usageField))
            return writer.flush()
        }
        do {
            while let piece = try stream.next() {
                guard begin() else { return "client gone" }
                switch piece {
                case let .text(t):
                    writer.write(encoder.chunk(delta: [("content", .string(t))], includeUsage: usageField))
                case let .toolCall(call):
                    let call = try checked(call, request)
                    for c in encoder.toolCallChunks(call, index: calls.count, includeUsage: usageField) { writer.write(c) }
                    calls.append(call)
                }
                guard writer.flush() else { return "client gone after \(stream.stats.generatedTokens) tokens" }
            }
        } catch {
            let e = Self.apiError(error)
            if !started {
                send(e, to: writer)
            } else {
                // mid-stream: an error event, and no [DONE]
                writer.write("data: " + e.json + "\n\n")
                writer.flush()
            }
            return "\(e.status) \(e.message)"
        }
        guard begin() else { return "client gone" }
        let usage = CompletionEncoder.Usage(prompt: stream.stats.promptTokens, completion: stream.stats.generatedTokens)
        let finish = finishReason(stream.stats, calls: calls, maxTokens: maxTokens)
        writer.write(encoder.chunk(delta: [], finishReason: finish, includeUsage: usageField))
        if request.includeUsage { writer.write(encoder.usageChunk(usage)) }
        writer.write(CompletionEncoder.done)
        writer.flush()
        return "200 stream \(finish) prompt=\(usage.prompt) completion=\(usage.completion)"
    }

    /// A call from the grammar path, with an id; a call cut off by the call's
    /// token limit does not parse and is an error, never a broken call.
    private func checked(_ call: ToolCall, _ request: ChatCompletionRequest) throws(APIError) -> ToolCall {
        guard let args = try? JSONParser.parse(call.arguments), args.objectValue != nil,
              request.tools.contains(where: { $0.name == call.name }) else {
            throw APIError(500, "the model did not complete a valid call of \(call.name)")
        }
        return ToolCall(id: "call_" + Self.randomID(), name: call.name, arguments: call.arguments)
    }

    /// "length" when the token budget or the context ran out, else "stop" (or "tool_calls").
    private func finishReason(_ stats: ReplyStats, calls: [ToolCall], maxTokens: Int) -> String {
        if !calls.isEmpty { return "tool_calls" }
        let full = stats.generatedTokens >= maxTokens || stats.promptTokens + stats.generatedTokens >= contextLength
        return full ? "length" : "stop"
    }

    // MARK: responses

    private func send(_ error: APIError, to writer: HTTPResponseWriter, headers: [(String, String)] = []) {
        writer.respond(status: error.status, headers: [("Content-Type", "application/json")] + headers, body: Array(error.json.utf8))
    }

    /// An engine error is the client's fault only when its input was invalid (say, a prompt longer than the context).
    static func apiError(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        return APIError(error.parleyKind == .invalidArgument ? 400 : 500, error.parleyMessage)
    }

    private func sendJSON(_ value: JSONValue, to writer: HTTPResponseWriter) {
        writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: Array(value.serialized.utf8))
    }

    static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}

/// One request at a time on the model (the engine has one worker); others wait
/// up to a timeout, and give up early when their client leaves.
final class EngineGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var busy = false

    func acquire(timeout: Double, giveUp: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while busy {
            if giveUp() || Date() >= deadline { return false }
            // wake up now and then to notice a client that left
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.1)))
        }
        busy = true
        return true
    }

    func release() {
        condition.lock()
        busy = false
        condition.signal()
        condition.unlock()
    }
}
