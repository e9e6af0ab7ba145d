import ArgumentParser
import Foundation
import LuaBindings
import NPCRuntime

/// `parley play DIR`: runs a Lua game (DIR/main.lua returns it) in the terminal, or
/// headless from a script of player lines.
struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a Lua game on Parley (DIR/main.lua): streaming subtitles, speech, quest hooks.",
        discussion: """
            Interactive by default: type commands; typing while an NPC talks cuts it off.
            Headless with --script FILE: runs the player lines in FILE (blank lines and
            lines starting with # skipped), writes each spoken line to --wav-dir, and
            prints the final game state as one JSON object on stdout (the transcript goes
            to stderr). Offline unless --remote (or $PARLEY_REMOTE_URL) names an
            OpenAI-compatible server.
            """)

    @Argument(help: "The game's directory (with main.lua)") var dir: String
    @Option(name: .shortAndLong, help: "GGUF dialogue model (path or bare name)") var model = Play.defaultModel
    @Option(name: .shortAndLong, help: "Piper voice .onnx (path or bare name)") var voice = "en_US-joe-medium.onnx"
    @Option(help: "Player lines to run headless, one per line") var script: String?
    @Flag(help: "No audio playback (speech is still made for --wav-dir)") var noAudio = false
    @Option(help: "OpenAL output device (default: the system's)") var audioDevice: String?
    @Flag(help: "No speech at all: text only") var textOnly = false
    @Option(help: "Write each spoken line to DIR/NNN-npc.wav") var wavDir: String?
    @Option(help: "Seed (replies repeat for the same seed, model and script)") var seed: UInt64 = 7
    @Option(help: "Write what happened as one JSON object per line") var trace: String?
    @Option(help: "Inference threads (0: automatic)") var threads: Int = 0
    @Option(help: "OpenAI-compatible base URL for the remote model (default $PARLEY_REMOTE_URL)") var remote: String?
    @Option(help: "Model name to ask the remote server for") var remoteModel: String?
    @Option(help: "Save file for the game's save/load commands") var save: String?
    @Option(help: "Seconds an NPC line may take before it is cut off (headless)") var lineTimeout: Double = 600

    static let defaultModel = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

    func validate() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("no game directory at \(dir)")
        }
        guard FileManager.default.isReadableFile(atPath: "\(dir)/main.lua") else {
            throw ValidationError("\(dir) has no readable main.lua")
        }
        if let script, !FileManager.default.isReadableFile(atPath: script) { throw ValidationError("cannot read the script \(script)") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 or more") }
        guard lineTimeout > 0 else { throw ValidationError("--line-timeout must be positive") }
    }

    func run() throws {
        let lines: [String]?
        if let script {
            do {
                lines = try String(contentsOfFile: script, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            } catch {
                throw CLIFailure("cannot read \(script): \(error.localizedDescription)")
            }
        } else {
            lines = nil
        }
        if let wavDir {
            do { try FileManager.default.createDirectory(atPath: wavDir, withIntermediateDirectories: true) } catch {
                throw CLIFailure("cannot create \(wavDir): \(error.localizedDescription)")
            }
        }
        let tracer: TraceWriter? = try trace.map { try TraceWriter(path: $0) }
        let headless = lines != nil
        let toStderr: (String) -> Void = { Console.err($0) }
        let toStdout: (String) -> Void = { Console.out($0) }

        let game: LuaGame
        do { game = try LuaGame(mainScript: "\(dir)/main.lua", options: gameOptions()) } catch { throw CLIFailure(error.message) }
        let session = PlaySession(game: game, wavDir: wavDir, tracer: tracer,
                                  transcript: headless ? toStderr : toStdout)
        do { try game.call("intro") } catch { throw CLIFailure(error.message) }
        try session.pump(dt: 0)

        if let lines {
            for line in lines {
                toStderr("> \(line)\n")
                guard try session.command(line) else { break }
                if !(try session.waitUntilIdle(timeoutSeconds: lineTimeout)) { toStderr("  [line timed out after \(lineTimeout) s]\n") }
            }
            toStdout(try session.stateJSON() + "\n")
            if wavDir != nil { toStderr("play: \(session.wavFiles.count) WAV files in \(wavDir ?? "")\n") }
        } else {
            try interactive(session)
        }
        try? game.call("shutdown")  // best effort: the process ends next, and its runtime with it
    }

    /// The terminal loop: a prompt when the game is idle; a key pressed while an NPC
    /// talks cuts it off (barge-in), and the line runs once the NPC has stopped.
    private func interactive(_ session: PlaySession) throws {
        let input = TerminalInput()
        defer { input.restore() }
        var pending: [String] = []
        var promptShown = false
        var last = Date()
        while true {
            for event in input.poll(timeoutMs: 10) {
                switch event {
                case .key:
                    if try session.busy() { try session.interrupt() }
                case let .line(l):
                    pending.append(l)
                case .eof:
                    pending.append("quit")
                }
            }
            let now = Date()
            try session.pump(dt: now.timeIntervalSince(last))
            last = now
            let busy = try session.busy()
            if !busy, !pending.isEmpty {
                let line = pending.removeFirst()
                promptShown = false
                if !input.isTerminal { Console.out("> \(line)\n") }
                guard try session.command(line) else { break }
                continue
            }
            if !busy && !promptShown && pending.isEmpty {
                Console.out("\n> " + input.typed)
                promptShown = true
            }
        }
    }

    /// The options table main.lua receives.
    private func gameOptions() -> [String: LuaValue] {
        var o: [String: LuaValue] = [
            "dir": .text(dir), "model": .text(model), "seed": .number(Double(seed)), "threads": .number(Double(threads)),
            "save_path": .text(save ?? (URL(fileURLWithPath: dir).lastPathComponent + ".save")),
        ]
        if !textOnly { o["voice"] = .text(voice) }
        // playback is the game's own rt:audio (positioned per NPC); the CLI only says whether
        if !textOnly && !noAudio {
            o["audio"] = .bool(true)
            if let audioDevice { o["audio_device"] = .text(audioDevice) }
        }
        if let url = remote ?? ProcessInfo.processInfo.environment["PARLEY_REMOTE_URL"], !url.isEmpty {
            var r: [String: LuaValue] = ["url": .text(url)]
            if let remoteModel { r["model"] = .text(remoteModel) }
            o["remote"] = .table(array: [], fields: r)
        }
        return o
    }
}
