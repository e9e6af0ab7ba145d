import ArgumentParser
import Foundation
import ComputeRouter
import NPCRuntime

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to a character: streaming text and speech, one turn at a time.")

    @Option(name: .shortAndLong, help: "GGUF dialogue model (path or bare name)") var model: String
    @Option(name: .shortAndLong, help: "Piper voice .onnx (path or bare name)") var voice: String?
    @Option(help: "Character name") var name = "Mara"
    @Option(help: "Persona") var persona = "The innkeeper of the Drowned Lantern, a tavern in a fishing town. Warm, gossipy, a little superstitious."
    @Option(help: "File of lore lines, one fact per line") var lore: String?
    @Flag(help: "Do not play the speech (it is still synthesised: --wav-dir, --trace)") var noAudio = false
    @Flag(help: "No speech at all: text only, no voice loaded") var textOnly = false
    @Option(help: "OpenAL output device (default: the system's)") var audioDevice: String?
    @Option(help: "Write each turn's speech to DIR/turn-N.wav (with or without playback)") var wavDir: String?
    @Option(help: "Read player lines from a file (one per line) instead of the terminal") var script: String?
    @Option(help: "Write every event as one JSON object per line") var trace: String?
    @Option(help: "Threads") var threads: Int = 0
    @Option(help: "Seed") var seed: UInt64 = 0
    @Option(help: "How the voice's heaviest convolutions multiply: exact (as Piper) or int16") var voicePrecision: VoicePrecision = .exact

    func run() throws {
        var config = RuntimeConfig(modelPath: model, voicePath: textOnly ? nil : (voice ?? "en_US-joe-medium.onnx"))
        config.threads = threads
        config.seed = seed
        config.voicePrecision = voicePrecision
        let runtime: Runtime
        do { runtime = try Runtime(config: config, router: PolicyRouter()) } catch { throw CLIFailure(error.message) }
        var npcConfig = NPCConfig(name: name, persona: persona)
        if let lore {
            npcConfig.knowledge = try String(contentsOfFile: lore, encoding: .utf8)
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        // a step in front of the listener (who faces -z): heard ahead, not inside the head
        npcConfig.position = (0, 0, -1.5)
        let npc = try runtime.createNPC(npcConfig)
        let playback = !noAudio && !textOnly ? PlaybackOutput(runtime, device: audioDevice) : nil
        let tracer = try trace.map { try TraceWriter(path: $0) }
        if let wavDir { try FileManager.default.createDirectory(atPath: wavDir, withIntermediateDirectories: true) }

        let lines: AnyIterator<String>
        if let script {
            var queue = try String(contentsOfFile: script, encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            lines = AnyIterator { queue.isEmpty ? nil : queue.removeFirst() }
        } else {
            lines = AnyIterator {
                print("\nyou> ", terminator: "")
                fflush(nil)
                return readLine()
            }
        }
        var turnNumber = 0
        for line in lines {
            turnNumber += 1
            if script != nil { print("\nyou> \(line)") }
            tracer?.write(["type": "SAY", "npc": npc.id, "t_ms": runtime.events.now(), "text": line])
            let turn: UInt64
            do { turn = try runtime.say(npc, line) } catch { print("error: \(error.message)"); continue }
            print("\(name)> ", terminator: "")
            var audio: [Float] = []
            var sampleRate = 22050
            var done = false
            while !done {
                guard let e = runtime.poll() else { usleep(2000); continue }
                tracer?.write(e)
                switch e.kind {
                case .text:
                    print(e.text ?? "", terminator: "")
                    fflush(nil)
                case .audio:
                    audio += e.samples
                    sampleRate = Int(e.sampleRate)
                case .error where playback?.isOwnOpenError(e) == true:
                    break  // already said when it happened
                case .error:
                    print("\n[error: \(e.text ?? "")]")
                case .done where e.turnID == turn:
                    done = true
                default:
                    break
                }
            }
            let s = npc.lastStats
            print("\n  [prefilled \(s.prefilledTokens)/\(s.promptTokens) tokens, \(s.generatedTokens) generated"
                  + (s.firstTextMs.map { String(format: ", first text %.0f ms", $0) } ?? "")
                  + (s.firstAudioMs.map { String(format: ", first audio %.0f ms", $0) } ?? "") + "]")
            if let wavDir, !audio.isEmpty {
                try WAVFile.write(audio, sampleRate: sampleRate, to: "\(wavDir)/turn-\(turnNumber).wav")
            }
            // the player hears the whole line before the next prompt
            playback?.waitUntilSilent(npc, seconds: Double(audio.count) / Double(max(sampleRate, 1)) + 5)
        }
        runtime.shutdown()
    }
}

/// `--trace`: one JSON object per event (type, npc, t_ms, payload summary).
final class TraceWriter {
    let handle: FileHandle
    init(path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw CLIFailure("cannot write \(path)") }
        handle = h
    }

    func write(_ fields: [String: Any]) {
        let ordered = ["type", "npc", "turn", "t_ms"].filter { fields[$0] != nil } + fields.keys.filter { !["type", "npc", "turn", "t_ms"].contains($0) }.sorted()
        let members = ordered.map { key -> (String, JSONValue) in
            switch fields[key] {
            case let v as String: return (key, .string(v))
            case let v as Double: return (key, .number((v * 10).rounded() / 10))
            case let v as UInt64: return (key, .number(Double(v)))
            case let v as Int: return (key, .number(Double(v)))
            default: return (key, .null)
            }
        }
        handle.write(Data((JSONValue.object(members).serialized + "\n").utf8))
    }

    func write(_ e: RuntimeEvent) {
        let names: [RuntimeEvent.Kind: String] = [.text: "TEXT", .audio: "AUDIO", .viseme: "VISEME", .toolCall: "TOOL_CALL",
                                                  .route: "ROUTE", .done: "DONE", .error: "ERROR"]
        var f: [String: Any] = ["type": names[e.kind] ?? "?", "npc": e.npcID, "turn": e.turnID, "t_ms": e.timeMs]
        if let t = e.text { f["text"] = t }
        if let n = e.name { f["name"] = n }
        if !e.samples.isEmpty { f["samples"] = e.samples.count; f["sample_rate"] = Int(e.sampleRate) }
        if let k = e.errorKind { f["status"] = "\(k)" }
        write(f)
    }
}
