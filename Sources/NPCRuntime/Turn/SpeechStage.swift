#if canImport(Glibc)
import Glibc
#endif

/// The speech end of a turn: speakable pieces from the chunker go to the voice
/// worker, which streams each as VISEME then AUDIO events. Sample positions
/// count from the turn's first audio.
final class SpeechStage: @unchecked Sendable {
    let speech: SpeechSynthesizer
    private let worker: SerialWorker
    private let events: EventQueue
    private let seed: UInt64
    /// Audio the game may leave unpolled before the voice worker waits (seconds).
    let maxQueuedAudioSeconds: Double
    /// Called with (turn, ms) when a turn's first audio goes out.
    private let onFirstAudio: @Sendable (Turn, Double) -> Void

    init(speech: SpeechSynthesizer, worker: SerialWorker, events: EventQueue, seed: UInt64,
         maxQueuedAudioSeconds: Double, onFirstAudio: @escaping @Sendable (Turn, Double) -> Void) {
        self.speech = speech
        self.worker = worker
        self.events = events
        self.seed = seed
        self.maxQueuedAudioSeconds = maxQueuedAudioSeconds
        self.onFirstAudio = onFirstAudio
    }

    /// Queues one piece of the reply (model worker).
    /// Stage directions in it change this sentence's delivery ("(whispers) Come closer."),
    /// or the next one's when they follow its last word.
    func speak(_ piece: String, turn: Turn) {
        let reading = StageDirections.read(piece)
        let text = reading.spoken
        var delivery = turn.pendingDelivery
        guard text.contains(where: { $0.isLetter || $0.isNumber }) else {
            // a direction on its own goes with the next sentence
            if let d = reading.delivery { turn.pendingDelivery = d }
            return
        }
        turn.pendingDelivery = nil
        if reading.carriesOver {
            turn.pendingDelivery = reading.delivery
        } else if let d = reading.delivery {
            delivery = d
        }
        let style = delivery.map { $0.apply(to: turn.npc.config.voice) } ?? turn.npc.config.voice
        if turn.firstAudioMs == nil && !turn.firstPieceQueued {
            turn.firstPieceQueued = true
            turn.awaitingFirstAudio = true
        }
        let queued = worker.submit { [self] in self.synthesize(text, style: style, turn: turn) }
        if !queued {
            turn.awaitingFirstAudio = false
            events.push(RuntimeEvent(kind: .error, errorKind: .voice, npcID: turn.npc.id, turnID: turn.id,
                                     text: "voice queue full; a sentence was not spoken"))
        }
    }

    /// Runs `job` after every piece queued so far (DONE comes after the turn's audio).
    func afterQueuedSpeech(_ job: @escaping @Sendable () -> Void) -> Bool { worker.submit(job) }

    /// Streams one piece as one utterance: its VISEME track, then AUDIO chunks as
    /// the decoder produces them (the first after a few tens of ms). The piece is
    /// the chunker's sentence, so the first chunk's subtitle is exactly the text the
    /// voice speaks: sentences are split once, by the chunker. Voice worker.
    /// A style other than plain runs the sentence through the turn's `VoiceDesignChain`
    /// chunk by chunk; sample positions and visemes then count the designed audio.
    private func synthesize(_ text: String, style: VoiceStyle, turn: Turn) {
        defer { turn.awaitingFirstAudio = false }
        guard !turn.cancelled else { return }
        let npc = turn.npc
        let rate = Int32(speech.sampleRate)
        do {
            guard let utterance = try speech.utterance(for: text), !utterance.ids.isEmpty else { return }
            let stream = try speech.start(utterance, scales: style.scales(over: speech.scales), speaker: style.speaker,
                                          seed: seed &+ turn.id)
            let base = Int64(turn.audioSamples)
            var chain: VoiceDesignChain?
            if !style.isPlain {
                if let c = turn.voiceChain, c.style == style, c.sampleRate == speech.sampleRate {
                    chain = c
                } else {
                    chain = VoiceDesignChain(style: style, sampleRate: speech.sampleRate)
                    turn.voiceChain = chain
                }
            }
            let sampleCount = chain?.beginSentence(inputCount: stream.sampleCount) ?? stream.sampleCount
            let visemes = chain == nil ? stream.visemes : VoiceDesignChain.scale(stream.visemes, from: stream.sampleCount, to: sampleCount)
            for v in visemes {
                var e = RuntimeEvent(kind: .viseme, npcID: npc.id, turnID: turn.id, name: v.viseme.rawValue)
                e.startSample = base + Int64(v.start)
                e.endSample = base + Int64(v.end)
                e.sampleRate = rate
                events.push(e)
            }
            var offset = 0
            while let chunk = stream.next() {
                waitForAudioRoom(turn)
                if turn.cancelled { return }
                let samples = chain.map { $0.process(chunk.samples, isLast: chunk.isLast) } ?? Array(chunk.samples)
                // a chain holds back its first few ms (filter delay) until the next chunk
                if samples.isEmpty { continue }
                var e = RuntimeEvent(kind: .audio, npcID: npc.id, turnID: turn.id, text: offset == 0 ? text : nil)
                e.samples = samples
                e.sampleRate = rate
                e.startSample = base + Int64(offset)
                e.endSample = e.startSample + Int64(samples.count)
                offset += samples.count
                if turn.firstAudioMs == nil {
                    let ms = events.now() - turn.sayTimeMs
                    turn.firstAudioMs = ms
                    onFirstAudio(turn, ms)
                }
                events.push(e)
                turn.awaitingFirstAudio = false
            }
            turn.audioSamples += sampleCount
        } catch {
            events.push(RuntimeEvent(kind: .error, errorKind: error.kind, npcID: npc.id, turnID: turn.id, text: error.message))
        }
    }

    /// Back-pressure: the voice worker waits while the game has more than
    /// `maxQueuedAudioSeconds` of audio unpolled, instead of growing memory.
    private func waitForAudioRoom(_ turn: Turn) {
        let limit = Int(maxQueuedAudioSeconds * Double(speech.sampleRate))
        while events.queuedSamples > limit && !turn.cancelled { usleep(5000) }
    }
}
