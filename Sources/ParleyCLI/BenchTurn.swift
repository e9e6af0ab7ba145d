import ArgumentParser
import Foundation
import ComputeRouter
import NPCRuntime

/// The conversation `bench turn` and bench/turn-vs-peers.sh both run.
enum BenchConversation {
    static let persona = "You are Mara, the innkeeper of the Drowned Lantern, a tavern in a fishing town. Warm, gossipy, a little superstitious. Answer in one to three short spoken sentences."
    static let lore = ["The lighthouse went dark forty years ago.", "A room costs five silver a night.",
                       "The smuggler Black Tam drinks here on Tuesdays."]
    static let lines = ["Good evening! Do you have a room for the night?",
                        "What happened to the old lighthouse?",
                        "Who is that man drinking alone in the corner?",
                        "Thank you. I will take the room."]
}

struct BenchTurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turn",
        abstract: "Latency of NPC turns with a cached prefix: say → first TEXT and first AUDIO, tokens prefilled.")

    @Option(name: .shortAndLong, help: "GGUF dialogue model") var model = "smollm2-135m-instruct-q4_1.gguf"
    @Option(name: .shortAndLong, help: "Piper voice") var voice = "en_US-joe-medium.onnx"
    @Option(help: "Threads") var threads = 2
    @Option(help: "How the voice's heaviest convolutions multiply: exact (as Piper) or int16") var voicePrecision: VoicePrecision = .exact
    @Option(help: "Longest reply in tokens") var maxTokens = 64
    @Flag(help: "Print one JSON object") var json = false

    func run() throws {
        var config = RuntimeConfig(modelPath: model, voicePath: voice)
        config.threads = threads
        config.voicePrecision = voicePrecision
        config.seed = 7
        let runtime: Runtime
        do { runtime = try Runtime(config: config, router: PolicyRouter()) } catch { throw CLIFailure(error.message) }
        var npcConfig = NPCConfig(name: "Mara", persona: BenchConversation.persona)
        npcConfig.knowledge = BenchConversation.lore
        npcConfig.maxReplyTokens = maxTokens
        npcConfig.sampler = .greedy
        let npc = try runtime.createNPC(npcConfig)
        var rows: [[String: Double]] = []
        for line in BenchConversation.lines {
            let turn = try runtime.say(npc, line)
            var audioSamples = 0
            while true {
                guard let e = runtime.poll() else { usleep(500); continue }
                if e.turnID == turn && e.kind == .audio { audioSamples += e.samples.count }
                if e.turnID == turn && e.kind == .done { break }
            }
            let s = npc.lastStats
            rows.append(["first_text_ms": s.firstTextMs ?? -1, "first_audio_ms": s.firstAudioMs ?? -1,
                         "prompt_tokens": Double(s.promptTokens), "prefilled_tokens": Double(s.prefilledTokens),
                         "generated_tokens": Double(s.generatedTokens), "prefill_ms": s.prefillMs,
                         "decode_tok_s": s.generateMs > 0 ? Double(s.generatedTokens) / (s.generateMs / 1000) : 0,
                         "audio_s": Double(audioSamples) / 22050])
        }
        runtime.shutdown()
        let later = Array(rows.dropFirst())  // turns 2…: the persona prefix is cached
        let medianFirstAudio = median(later.map { $0["first_audio_ms"] ?? 0 })
        let medianFirstText = median(later.map { $0["first_text_ms"] ?? 0 })
        if json {
            let turns = rows.map { r in "{" + r.keys.sorted().map { "\"\($0)\":\(round1(r[$0] ?? 0))" }.joined(separator: ",") + "}" }
            print("{\"model\":\"\(model)\",\"voice\":\"\(voice)\",\"median_first_text_ms_turns_2_on\":\(round1(medianFirstText)),\"median_first_audio_ms_turns_2_on\":\(round1(medianFirstAudio)),\"turns\":[\(turns.joined(separator: ","))]}")
        } else {
            print("turn  prompt  prefilled  generated  prefill ms  decode tok/s  first TEXT ms  first AUDIO ms")
            for (i, r) in rows.enumerated() {
                let v = { (key: String) in r[key] ?? 0 }
                print(String(format: "%4d  %6.0f  %9.0f  %9.0f  %10.1f  %12.1f  %13.1f  %14.1f", i + 1, v("prompt_tokens"), v("prefilled_tokens"),
                             v("generated_tokens"), v("prefill_ms"), v("decode_tok_s"), v("first_text_ms"), v("first_audio_ms")))
            }
            print(String(format: "median over turns 2–%d: first TEXT %.1f ms, first AUDIO %.1f ms", rows.count, medianFirstText, medianFirstAudio))
        }
    }
}
