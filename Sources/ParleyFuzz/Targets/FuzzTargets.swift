import ComputeRouter
import HTTPServer
@testable import NPCRuntime

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer entry points over every parser that reads untrusted bytes. One binary,
/// the target chosen by `PARLEY_FUZZ_TARGET` (scripts/fuzz sets it). Each target must
/// return normally for any input: a thrown error is a clean refusal; a trap, an
/// out-of-bounds access (ASan) or a hang (libFuzzer's -timeout) is a finding.
enum FuzzTarget: String, CaseIterable {
    case gguf, onnx, voiceConfig = "voice-config", json, toolSchema = "tool-schema", toolArguments = "tool-arguments",
         toolCall = "tool-call", sse, chatStream = "chat-stream", httpRequest = "http-request", npcSave = "npc-save",
         serveRequest = "serve-request", evalCase = "eval-case", playerLine = "player-line"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .gguf: Self.gguf(bytes)
        case .onnx: _ = try? ONNXGraph(bytes: bytes)
        case .voiceConfig: _ = try? VoiceConfig(json: bytes)
        case .json: Self.json(bytes)
        case .toolSchema: Self.toolSchema(bytes)
        case .toolArguments: Self.toolArguments(bytes)
        case .toolCall: Self.toolCall(bytes)
        case .sse: Self.sse(bytes)
        case .chatStream: Self.chatStream(bytes)
        case .httpRequest: _ = HTTPRequestParser.parse(bytes)
        case .npcSave: try? NPCSnapshot.decode(bytes).config.validate()
        // The CLI's parsers come in through FromCLI/ (symlinks to Sources/ParleyCLI: the
        // executable target cannot be a dependency).
        case .serveRequest: _ = try? ChatCompletionRequest.parse(bytes)
        case .evalCase: _ = try? EvalCase.parse(line: String(decoding: bytes, as: UTF8.self), location: "fuzz")
        case .playerLine: Self.playerLine(bytes)
        }
    }

    /// GGUF is read from a memory map, as the runtime does, so the input goes through a file.
    static func gguf(_ bytes: [UInt8]) {
        let path = "/dev/shm/parley-fuzz-\(getpid()).gguf"
        guard let f = fopen(path, "wb") else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        defer { unlink(path) }
        guard let file = try? MappedFile(path: path), let gguf = try? GGUFFile(file: file) else { return }
        // Touch every tensor the header declares: offsets and sizes were validated on open.
        for t in gguf.tensors { _ = gguf.data(of: t) }
    }

    /// Parse, then write back and parse again: the writer's output must always be valid JSON.
    static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        var text = ""
        value.write(to: &text)
        guard let again = try? JSONParser.parse(text), again == value else { trap("JSON round trip changed \(text.prefix(200))") }
    }

    /// A schema from JSON, compiled to the call grammar; every accepted call must parse back.
    static func toolSchema(_ bytes: [UInt8]) {
        guard let json = try? JSONParser.parse(bytes), let schema = try? ToolSchema(json: json),
              let tool = try? ToolSpec(name: "act", description: "", parameters: schema),
              let grammar = try? CallGrammar(tools: [tool], suffix: "</tool_call>") else { return }
        _ = grammar.accepts("{\"name\": \"act\", \"arguments\": {}}</tool_call>")
    }

    /// A fixed schema with every kind the subset has. Built per input, not kept in a
    /// global: LeakSanitizer cannot follow Swift's tagged enum pointers from static
    /// storage and would report the schema as leaked.
    static func argumentSchema() -> ToolSchema? {
        let text = """
        {"type":"object","properties":{"item":{"type":"string","enum":["sword","shield"]},
        "count":{"type":"integer","minimum":1,"maximum":99},"price":{"type":"number","minimum":0},
        "gift":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},
        "note":{"type":"string"}},"required":["item","count"],"additionalProperties":false}
        """
        guard let json = try? JSONParser.parse(text) else { return nil }
        return try? ToolSchema(json: json)
    }

    static func toolArguments(_ bytes: [UInt8]) {
        guard let schema = argumentSchema(), let json = try? JSONParser.parse(bytes) else { return }
        _ = schema.validate(json)
    }

    /// Model output read back as a call, as the tool step does.
    static func toolCall(_ bytes: [UInt8]) {
        guard let schema = argumentSchema(), let tool = try? ToolSpec(name: "sell", description: "", parameters: schema),
              let call = try? ParsedCall(text: String(decoding: bytes, as: UTF8.self), suffix: "</tool_call>") else { return }
        _ = call.validate(against: [tool])
    }

    /// A player's line through the action decision's readers (the first half is
    /// the line, the rest the exchange before it); the narrowed call must still compile.
    static func playerLine(_ bytes: [UInt8]) {
        guard let schema = argumentSchema(), let tool = try? ToolSpec(name: "sell_item", description: "Sell the player goods.", parameters: schema)
        else { return }
        let line = String(decoding: bytes.prefix(bytes.count / 2), as: UTF8.self)
        let context = String(decoding: bytes.dropFirst(bytes.count / 2), as: UTF8.self)
        _ = InjectedMarkup.isPresent(in: line)
        _ = RequestReading.isRequest(line, actionVerbs: RequestReading.actionVerbs([tool]))
        _ = RequestReading.pressesAgainstRules(line)
        _ = RequestReading.groundedScores(line + "\n" + context, tools: [tool])
        let narrowed = ArgumentGrounding.narrow(tool, line: line, context: context)
        guard (try? CallGrammar(tools: [narrowed], suffix: "</tool_call>")) != nil else { trap("a narrowed schema does not compile") }
        // what the game's guard is asked: calls valid against the tool; verdicts from the bytes
        guard !bytes.isEmpty, let check = ToolPrecheck(tool: narrowed, original: tool) else { return }
        guard check.candidates.count <= ToolPrecheck.maxCandidates else { trap("too many calls put to the guard") }
        func fits(_ arguments: String, _ t: ToolSpec) -> Bool {
            ToolStep.problem(with: ToolCall(id: "", name: t.name, arguments: arguments), tools: [t]) == nil
        }
        guard check.candidates.allSatisfy({ fits($0, tool) }) else { trap("a call put to the guard is invalid") }
        let verdicts: [String?] = check.candidates.indices.map { bytes[$0 % bytes.count] & 1 == 0 ? nil : "refused" }
        guard case .call(let allowed) = check.outcome(verdicts) else { return }
        guard (try? CallGrammar(tools: [allowed], suffix: "</tool_call>")) != nil else { trap("an allowed schema does not compile") }
        for (c, v) in zip(check.candidates, verdicts) where v == nil && !fits(c, allowed) {
            trap("an allowed call does not fit the tool left to the model")
        }
    }

    /// Any split of the stream gives the same events (the first byte picks the split).
    static func sse(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        var whole = SSEDecoder(maxLineBytes: 4096)
        var split = SSEDecoder(maxLineBytes: 4096)
        let cut = body.isEmpty ? 0 : Int(first) % (body.count + 1)
        guard let a = try? whole.feed(body) else { return }
        guard let b1 = try? split.feed(body[..<cut]), let b2 = try? split.feed(body[cut...]) else { return }
        if a.map(\.data) != (b1 + b2).map(\.data) { trap("SSE events depend on how the stream was split") }
    }

    static func chatStream(_ bytes: [UInt8]) {
        var decoder = ChatStreamDecoder()
        _ = try? decoder.feed(bytes)
        _ = try? decoder.finish()
    }

    static func trap(_ message: String) -> Never {
        printError("fuzz invariant broken: \(message)")
        abort()
    }
}

/// To stderr (fd 2), without touching the C `stderr` global that Swift 6 sees as shared state.
func printError(_ message: String) {
    let line = Array((message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

nonisolated(unsafe) var selectedTarget: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = getenv("PARLEY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        printError("PARLEY_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))")
        exit(2)
    }
    selectedTarget = target
    return 0
}

@_cdecl("parley_fuzz_one")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget?.run(bytes)
    return 0
}
