import ArgumentParser
import Foundation
import HTTPServer
import NPCRuntime

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An OpenAI-compatible server (chat completions, streaming, tools) on Parley's own engine.",
        discussion: """
            POST /v1/chat/completions, GET /v1/models, GET /health. One model; requests run one at a time \
            (others wait up to --queue-timeout, then get 503). No TLS and no authentication: bind to \
            127.0.0.1 or a private network.
            """)

    @Option(name: .shortAndLong, help: "GGUF dialogue model (path or bare name)") var model: String
    @Option(help: "Address to listen on") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed at start)") var port: UInt16 = 8080
    @Option(help: "Context length") var ctx: Int = 2048
    @Option(help: "Threads (0: all cores, at most 4)") var threads: Int = 0
    @Option(help: "max_tokens when a request gives none (requests are capped at the context)") var maxTokens: Int = 512
    @Option(help: "Concurrent connections (more get 503)") var maxConnections: Int = 8
    @Option(help: "Seconds a request waits for the model before 503") var queueTimeout: Double = 30
    @Option(help: "Seconds a connection may stay silent while sending its request") var readTimeout: Double = 10

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard queueTimeout >= 0, readTimeout > 0 else { throw ValidationError("timeouts must be positive") }
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

        let path = try resolveModel(model)
        let lm: LanguageModel
        do { lm = try LanguageModel(path: path, threads: defaultThreads(threads), contextLength: ctx) } catch {
            throw CLIFailure(error.message)
        }
        let id = URL(fileURLWithPath: path).lastPathComponent
        let service = ChatCompletionsService(model: lm, modelID: id, defaultMaxTokens: maxTokens, queueTimeout: queueTimeout,
                                             log: { line in FileHandle.standardError.write(Data(("parley serve: " + line + "\n").utf8)) })
        var config = HTTPServer.Configuration()
        config.host = host
        config.port = port
        config.maxConnections = maxConnections
        config.readTimeout = readTimeout
        config.errorBody = ChatCompletionsService.errorBody
        let server = HTTPServer(configuration: config) { request, writer in service.handle(request, writer) }
        do { try server.start() } catch { throw CLIFailure(error.message) }
        print("parley serve: \(id) (context \(lm.contextLength)) on http://\(host):\(server.port)")
        fflush(nil)

        var received: Int32 = 0
        sigwait(&signals, &received)
        FileHandle.standardError.write(Data("parley serve: stopping\n".utf8))
        server.stop()
    }
}
