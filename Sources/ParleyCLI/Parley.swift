import ArgumentParser
import NPCRuntime

@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Parley: local dialogue models and voices for game characters.",
        version: "0.6.0",
        subcommands: [ModelInfo.self, Tokenize.self, Detokenize.self, Generate.self, Speak.self, Voices.self, Chat.self, Bench.self, Eval.self, Serve.self, Play.self, Test.self]
    )
}

/// `--precision` / `--voice-precision exact|int16` (speak, chat, bench voice, bench turn).
extension VoicePrecision: ExpressibleByArgument {}

/// Resolves a model argument by the library's rule (path, then $PARLEY_MODELS, then models/).
func resolveModel(_ name: String) throws -> String {
    do {
        return try ModelLocator.resolve(name)
    } catch {
        throw ValidationError(error.message)
    }
}

/// Prints to stderr and exits 1: the CLI's one way to report a runtime failure.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
