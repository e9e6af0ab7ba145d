import Foundation
import Testing
@testable import NPCRuntime

/// Turns on the real models: prefix reuse, event order, cancellation, barge-in, save/load.
@Suite(.serialized) struct RuntimeTurnTests {
    static let smol = "smollm2-135m-instruct-q4_1.gguf"
    static let qwen = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    static let voice = "en_US-joe-medium.onnx"

    func runtime(_ model: String, voice: String? = nil) throws -> Runtime {
        var c = RuntimeConfig(modelPath: try #require(TestPaths.model(model)),
                              voicePath: try voice.map { try #require(TestPaths.model($0)) })
        c.threads = 2
        c.contextLength = 1024
        c.seed = 1
        return try Runtime(config: c)
    }

    func npcConfig(maxTokens: Int = 24) -> NPCConfig {
        var c = NPCConfig(name: "Mara", persona: "The innkeeper of the Drowned Lantern. Warm and brief.")
        c.knowledge = ["The lighthouse went dark forty years ago."]
        c.maxReplyTokens = maxTokens
        c.sampler = .greedy
        return c
    }

    /// Polls until the DONE of `turn` (or a time limit), returning that turn's events.
    func events(of turn: UInt64, _ rt: Runtime, limit: Double = 120_000) -> [RuntimeEvent] {
        var out: [RuntimeEvent] = []
        let start = monotonicMs()
        while monotonicMs() - start < limit {
            guard let e = rt.events.poll() else { usleep(1000); continue }
            guard e.turnID == turn else { continue }
            out.append(e)
            if e.kind == .done { break }
        }
        return out
    }

    @Test(.enabled(if: TestPaths.hasModel(smol)))
    func secondTurnPrefillsOnlyItsNewTokens() throws {
        let rt = try runtime(Self.smol)
        let npc = try rt.createNPC(npcConfig())
        let first = events(of: try rt.say(npc, "Good evening! Do you have a room?"), rt)
        #expect(first.first?.kind == .route)
        #expect(first.last?.kind == .done && first.last?.errorKind == nil)
        #expect(first.contains { $0.kind == .text })
        let s1 = npc.lastStats
        #expect(s1.prefilledTokens == s1.promptTokens)

        let second = events(of: try rt.say(npc, "And what is your name?"), rt)
        #expect(second.last?.kind == .done)
        let s2 = npc.lastStats
        #expect(s2.promptTokens > s1.promptTokens + s1.generatedTokens)
        // Only the new line and the assistant header after it: the earlier turn came from
        // the cache, and the user header before the line was run after the first reply.
        let tokenizer = try #require(rt.model).tokenizer
        let line = tokenizer.encode("And what is your name?", addSpecial: false, parseSpecial: false)
        let header = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", addSpecial: false, parseSpecial: true)
        #expect(s2.prefilledTokens == line.count + header.count, "prefilled \(s2.prefilledTokens) of \(s2.promptTokens)")
        // The reply text of DONE is the TEXT deltas joined.
        let joined = second.filter { $0.kind == .text }.compactMap(\.text).joined()
        #expect(second.last?.text == joined.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(npc.history.count == 4)
    }

    /// A conversation longer than the context forgets a quarter of it at once, so the
    /// turns after that reuse the cache instead of prefilling the whole prompt each time.
    @Test(.enabled(if: TestPaths.hasModel(smol)))
    func aFullContextIsTrimmedWithRoomToSpare() throws {
        var c = RuntimeConfig(modelPath: try #require(TestPaths.model(Self.smol)))
        c.threads = 2
        c.contextLength = 512
        let rt = try Runtime(config: c)
        let npc = try rt.createNPC(npcConfig())
        let history = (1...40).map { i in (player: "Tell me about the road number \(i), please.", npc: "Road \(i) runs past the old mill and the ford.") }
        try rt.preload(npc, history: history)
        var prefilled: [Int] = []
        for line in ["Good evening!", "Is the ford safe?", "And the mill?", "Thank you."] {
            let e = events(of: try rt.say(npc, line), rt)
            #expect(e.last?.kind == .done && e.last?.errorKind == nil)
            prefilled.append(npc.lastStats.prefilledTokens)
            #expect(npc.lastStats.promptTokens + 24 <= 512)
        }
        #expect(!npc.summary.isEmpty)
        #expect(prefilled[0] > 200, "the first turn drops exchanges and prefills it all: \(prefilled)")
        #expect(prefilled.dropFirst().filter { $0 > 100 }.count <= 1, "at most one more full prefill in three turns: \(prefilled)")
    }

    @Test(.enabled(if: TestPaths.hasModel(smol)))
    func cancelAndBargeIn() throws {
        let rt = try runtime(Self.smol)
        let npc = try rt.createNPC(npcConfig(maxTokens: 200))
        let a = try rt.say(npc, "Tell me a very long story about the sea.")
        let b = try rt.say(npc, "Never mind. Goodnight!")  // barge-in: cancels a
        let eventsA = events(of: a, rt)
        #expect(eventsA.last?.kind == .done && eventsA.last?.errorKind == .cancelled)
        let eventsB = events(of: b, rt)
        #expect(eventsB.last?.kind == .done && eventsB.last?.errorKind == nil)

        let c = try rt.say(npc, "One more story, please.")
        rt.cancel(npc)
        let eventsC = events(of: c, rt)
        #expect(eventsC.last?.errorKind == .cancelled)
        #expect(eventsC.filter { $0.kind == .text }.count < 200)
    }

    @Test(.enabled(if: TestPaths.hasModel(smol)))
    func rejectsBadRequests() throws {
        let rt = try runtime(Self.smol)
        #expect(throws: RuntimeError.self) { try rt.createNPC(NPCConfig(name: "", persona: "x")) }
        let npc = try rt.createNPC(npcConfig())
        #expect(throws: RuntimeError.self) { try rt.say(npc, "") }
        #expect(throws: RuntimeError.self) { try rt.say(npc, String(repeating: "a", count: 5000)) }
        rt.destroyNPC(npc)
        #expect(throws: RuntimeError.self) { try rt.say(npc, "hello?") }
    }

    @Test(.enabled(if: TestPaths.hasModel(smol) && TestPaths.hasModel(voice) && Espeak.available))
    func speechFollowsTextAndDoneComesLast() throws {
        let rt = try runtime(Self.smol, voice: Self.voice)
        let npc = try rt.createNPC(npcConfig(maxTokens: 40))
        let turn = events(of: try rt.say(npc, "Good evening! Do you have a room?"), rt)
        #expect(turn.last?.kind == .done && turn.last?.errorKind == nil)
        let firstText = try #require(turn.firstIndex { $0.kind == .text })
        let audio = turn.filter { $0.kind == .audio }
        #expect(!audio.isEmpty)
        #expect(turn.firstIndex { $0.kind == .audio }! > firstText)
        #expect(audio.allSatisfy { $0.sampleRate == 22050 && !$0.samples.isEmpty && $0.samples.allSatisfy { $0.isFinite } })
        // each AUDIO event carries its sentence, and that sentence was streamed as TEXT before it
        let text = turn.filter { $0.kind == .text }.compactMap(\.text).joined()
        for a in audio where a.text != nil { #expect(text.contains(a.text!.prefix(8))) }
        #expect(npc.lastStats.firstAudioMs != nil)
        // audio chunks tile the turn's speech; the viseme track covers it without gaps
        let total = audio.reduce(0) { $0 + $1.samples.count }
        var at: Int64 = 0
        for a in audio { #expect(a.startSample == at); at = a.endSample }
        #expect(at == Int64(total))
        let visemes = turn.filter { $0.kind == .viseme }
        #expect(visemes.first?.startSample == 0 && visemes.last?.endSample == Int64(total))
        for (v, next) in zip(visemes, visemes.dropFirst()) { #expect(v.endSample == next.startSample) }
        #expect(visemes.allSatisfy { Viseme(rawValue: $0.name ?? "") != nil })
    }

    /// A designed voice (resampled, effects with delay) and stage directions that change
    /// the delivery sentence by sentence: AUDIO and VISEME positions still tile the audio.
    @Test(.enabled(if: TestPaths.hasModel(smol) && TestPaths.hasModel(voice) && Espeak.available))
    func designedVoiceKeepsSampleCountsConsistent() throws {
        let rt = try runtime(Self.smol, voice: Self.voice)
        var c = npcConfig()
        c.voice = try VoiceStyle.parse(#"{"preset":"child","effects":["hall"]}"#)
        c.authored = [AuthoredLine(trigger: "Any secrets here?",
                                   reply: "(whispers) The key is under the mat. You fool. (laughs) Now go, quickly!")]
        let npc = try rt.createNPC(c)
        let turn = events(of: try rt.say(npc, "Any secrets here?"), rt)
        #expect(turn.last?.kind == .done && turn.last?.errorKind == nil)
        let audio = turn.filter { $0.kind == .audio }
        let spoken = audio.compactMap(\.text)
        #expect(spoken.count == 3 && !spoken.contains { $0.contains("(") })
        #expect(audio.allSatisfy { !$0.samples.isEmpty && $0.samples.allSatisfy { $0.isFinite && abs($0) <= 4 } })
        let total = audio.reduce(0) { $0 + $1.samples.count }
        var at: Int64 = 0
        for a in audio { #expect(a.startSample == at); at = a.endSample }
        #expect(at == Int64(total))
        let visemes = turn.filter { $0.kind == .viseme }
        #expect(visemes.first?.startSample == 0 && visemes.last?.endSample == Int64(total))
        for (v, next) in zip(visemes, visemes.dropFirst()) { #expect(v.endSample == next.startSample) }
    }

    @Test(.enabled(if: TestPaths.hasModel(qwen)))
    func saveDestroyLoadContinuesTheConversation() throws {
        let rt = try runtime(Self.qwen)
        let npc = try rt.createNPC(npcConfig(maxTokens: 32))
        _ = events(of: try rt.say(npc, "Good evening! My name is Aldric. Do you have a room?"), rt)
        let saved = NPCSnapshot.encode(npc)
        rt.destroyNPC(npc)
        let restored = try rt.loadNPC(saved)
        #expect(restored.history.count == 2)
        let reply = events(of: try rt.say(restored, "Remind me, what did I say my name was?"), rt)
        #expect(reply.last?.text?.contains("Aldric") == true, "reply: \(reply.last?.text ?? "")")
    }
}
