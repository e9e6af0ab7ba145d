import ArgumentParser
import Foundation
import HTTPServer
import NPCRuntime

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An OpenAI-compatible server (chat completions, streaming, tools) on Parley's own engine.",
        discussion: """
            POST /v1/chat/completions, GET /v1/models, GET /health. One model; requests run one at a time \
            (others wait up to --queue-timeout, then get 503). Safe by default: binds 127.0.0.1; at most \
            --max-connections connections (more get 503); request heads of 16 KB and bodies of 4 MB at most \
            (413); a client that stalls while sending gets 408 after --read-timeout.

            Authentication: with --api-key or PARLEY_SERVE_API_KEY set (the flag wins; prefer the variable, \
            since a flag shows in the process list), every /v1/ request must carry 'Authorization: Bearer KEY' \
            or gets 401; /health stays open. The key is never printed. Without a key anyone who can reach \
            the port may use the model. There is no TLS: the key crosses the network in clear, so bind \
            to 127.0.0.1 or a private network, or put a TLS proxy in front.
            """)

    static let apiKeyVariable = "PARLEY_SERVE_API_KEY"

    @Option(name: .shortAndLong, help: "GGUF dialogue model (path or bare name)") var model: String
    @Option(help: "Address to listen on (0.0.0.0: every interface; set an API key then)") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed at start)") var port: UInt16 = 8080
    @Option(help: "Context length (64…131072; capped at the model's)") var ctx: Int = 2048
    @Option(help: "Threads (0: all cores, at most 4; up to 64)") var threads: Int = 0
    @Option(help: "max_tokens when a request gives none (1…131072; requests are capped at the context)") var maxTokens: Int = 512
    @Option(help: "Concurrent connections, 1…1024 (more get 503)") var maxConnections: Int = 8
    @Option(help: "Seconds a request waits for the model before 503 (0…600)") var queueTimeout: Double = 30
    @Option(help: "Seconds a connection may stay silent while sending its request (0.1…300)") var readTimeout: Double = 10
    @Option(help: ArgumentHelp("Require 'Authorization: Bearer KEY' on /v1/ requests (default: $\(apiKeyVariable))",
                               valueName: "key"))
    var apiKey: String?

    func validate() throws {
        // every bound is checked here, before the model loads; ClosedRange.contains is false for NaN
        guard (64...131_072).contains(ctx) else { throw ValidationError("--ctx must be in 64…131072") }
        guard (0...64).contains(threads) else { throw ValidationError("--threads must be in 0…64") }
        guard (1...131_072).contains(maxTokens) else { throw ValidationError("--max-tokens must be in 1…131072") }
        guard (1...1024).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1…1024") }
        guard (0...600).contains(queueTimeout) else { throw ValidationError("--queue-timeout must be in 0…600 seconds") }
        guard (0.1...300).contains(readTimeout) else { throw ValidationError("--read-timeout must be in 0.1…300 seconds") }
        // the messages name the rule, never the key
        if let key = apiKey { try Self.checkKey(key, source: "--api-key") }
    }

    /// The key from the flag, else from the environment; nil for none (an empty variable counts as unset).
    func resolvedAPIKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let apiKey { return apiKey }
        guard let key = environment[Self.apiKeyVariable], !key.isEmpty else { return nil }
        try Self.checkKey(key, source: Self.apiKeyVariable)
        return key
    }

    /// A key a client can send in a header: visible ASCII, no spaces, 8…512 bytes.
    static func checkKey(_ key: String, source: String) throws {
        guard (8...512).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ValidationError("\(source): an API key must be 8…512 visible ASCII characters without spaces")
        }
    }

    func run() throws {
        // SIGINT/SIGTERM are taken by sigwait below, so every thread started from here blocks them
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // sends use MSG_NOSIGNAL; this covers anything else that writes to a closed socket
        signal(SIGPIPE, SIG_IGN)

        // the variable is read here, after validate(): a bad one is a plain error, not a usage error
        let key: String?
        do { key = try resolvedAPIKey() } catch let error as ValidationError { throw CLIFailure(error.message) }
        let path = try resolveModel(model)
        let lm: LanguageModel
        do { lm = try LanguageModel(path: path, threads: defaultThreads(threads), contextLength: ctx) } catch {
            throw CLIFailure(error.message)
        }
        let id = URL(fileURLWithPath: path).lastPathComponent
        let service = ChatCompletionsService(model: lm, modelID: id, defaultMaxTokens: maxTokens, queueTimeout: queueTimeout,
                                             apiKey: key, log: { line in FileHandle.standardError.write(Data(("parley serve: " + line + "\n").utf8)) })
        var config = HTTPServer.Configuration()
        config.host = host
        config.port = port
        config.maxConnections = maxConnections
        config.readTimeout = readTimeout
        config.errorBody = ChatCompletionsService.errorBody
        let server = HTTPServer(configuration: config) { request, writer in service.handle(request, writer) }
        do { try server.start() } catch { throw CLIFailure(error.message) }
        let auth = key == nil ? "no API key" : "API key required on /v1/"
        print("parley serve: \(id) (context \(lm.contextLength)) on http://\(host):\(server.port), \(auth)")
        fflush(nil)

        var received: Int32 = 0
        sigwait(&signals, &received)
        FileHandle.standardError.write(Data("parley serve: stopping\n".utf8))
        server.stop()
    }
}
