import ArgumentParser
import Foundation
import LuaBindings
import NPCRuntime

/// `parley test FILE…`: plays golden conversations (GoldenConversation) through their
/// game and checks every expectation with the eval scorer; non-zero exit on a failure.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run golden conversations against a Lua game: pass/fail per expectation, fixed seed.")

    @Option(name: .shortAndLong, help: "GGUF model (default: the file's header, else qwen2.5-coder-0.5b)") var model: String?
    @Option(help: "Seed (default: the file's header, else 7)") var seed: UInt64?
    @Option(help: "Inference threads (0: automatic); replies must not depend on it") var threads: Int = 0
    @Option(name: .shortAndLong, help: "Speak the lines with this voice (default: text only)") var voice: String?
    @Option(help: "Write every reply as one JSON line (to compare runs)") var repliesOut: String?
    @Flag(help: "Print the game's transcript to stderr") var verbose = false
    @Option(help: "Seconds an NPC line may take") var lineTimeout: Double = 600
    @Argument(help: "Golden conversation files (JSONL)") var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one golden conversation file") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 or more") }
    }

    func run() throws {
        let goldens = try files.map { try GoldenConversation.load(path: $0) }
        var passed = 0, failed = 0
        var replies: [String] = []
        for golden in goldens {
            print("== \(golden.path)")
            let main = "\(golden.gameDir)/main.lua"
            guard FileManager.default.isReadableFile(atPath: main) else { throw CLIFailure("\(golden.path): no \(main)") }
            let save = NSTemporaryDirectory() + "parley-test-\(getpid()).save"
            defer { try? FileManager.default.removeItem(atPath: save) }
            var options: [String: LuaValue] = [
                "dir": .text(golden.gameDir), "model": .text(model ?? golden.model ?? Play.defaultModel),
                "seed": .number(Double(seed ?? golden.seed ?? 7)), "threads": .number(Double(threads)), "save_path": .text(save),
            ]
            if let voice { options["voice"] = .text(voice) }
            let game: LuaGame
            do { game = try LuaGame(mainScript: main, options: options) } catch { throw CLIFailure(error.message) }
            let session = PlaySession(game: game, wavDir: nil, tracer: nil,
                                      transcript: verbose ? { Console.err($0) } : nil)
            for step in golden.steps {
                guard try session.command(step.player) else { break }
                if !(try session.waitUntilIdle(timeoutSeconds: lineTimeout)) { print("  line \(step.line): timed out") }
                let outcome = session.outcome
                if outcome.spoke {
                    replies.append(JSONValue.object([("file", .string(golden.path)), ("line", .number(Double(step.line))),
                                                     ("player", .string(step.player)), ("route", .string(outcome.route ?? "")),
                                                     ("reply", .string(outcome.reply))]).serialized)
                }
                guard step.expect != nil || !step.routes.isEmpty else { continue }
                let results = Self.check(step, outcome)
                let shown = outcome.spoke ? "[\(outcome.route ?? "?")] \(outcome.reply)" : outcome.narration.joined(separator: " ")
                print("  line \(step.line): \(step.player)")
                print("    → \(shown)")
                for (name, failure) in results {
                    if let failure { failed += 1; print("    FAIL \(name): \(failure)") } else { passed += 1; print("    pass \(name)") }
                }
            }
            try? game.call("shutdown")  // best effort: the next file gets a fresh game
        }
        if let repliesOut {
            do { try (replies.joined(separator: "\n") + "\n").write(toFile: repliesOut, atomically: true, encoding: .utf8) } catch {
                throw CLIFailure("cannot write \(repliesOut)")
            }
        }
        print("\(passed) passed, \(failed) failed; replies digest \(Self.digest(replies))")
        if failed > 0 { throw ExitCode(1) }
    }

    /// One result per expectation: its name and nil (pass) or why it failed. Each
    /// check is scored alone by the eval scorer, so a line reads like a checklist.
    static func check(_ step: GoldenConversation.Step, _ outcome: PlaySession.Outcome) -> [(String, String?)] {
        var run = EvalRun()
        run.route = outcome.route
        run.status = outcome.status
        run.reply = outcome.spoke ? outcome.reply : outcome.narration.joined(separator: " ")
        run.executed = outcome.tools.map { EvalRun.Call(name: $0.name, arguments: try? JSONParser.parse($0.arguments), valid: true) }
        run.emitted = run.executed
        var results: [(String, String?)] = []
        func score(_ name: String, _ e: EvalExpectation) {
            let failures = EvalScoring.score(e, guards: [:], run: run).failures
            results.append((name, failures.isEmpty ? nil : failures.joined(separator: "; ")))
        }
        score("ended ok, not degenerate", EvalExpectation())
        if let expect = step.expect {
            switch expect.tool {
            case .unchecked: break
            case .noCall: score("no quest hook ran", EvalExpectation(tool: .noCall))
            case let .call(name, arguments): score("hook \(name) \(arguments.serialized)", EvalExpectation(tool: expect.tool))
            }
            for group in expect.allOf { score("says one of \(group)", EvalExpectation(allOf: [group])) }
            for word in expect.noneOf { score("never says \"\(word)\"", EvalExpectation(noneOf: [word])) }
            if let m = expect.maxSentences { score("at most \(m) sentences", EvalExpectation(maxSentences: m)) }
        }
        if !step.routes.isEmpty {
            let route = outcome.route ?? "none"
            results.append(("route \(step.routes.joined(separator: "|"))", step.routes.contains(route) ? nil : "route was \(route)"))
        }
        // the base checks belong to the first line only
        for i in results.indices.dropFirst() {
            if let f = results[i].1, let base = results[0].1, f == base { results[i].1 = nil }
        }
        return results
    }

    /// FNV-1a over the replies: one token to compare runs by eye.
    static func digest(_ lines: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lines.joined(separator: "\n").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}
