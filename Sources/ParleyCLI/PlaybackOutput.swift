import Foundation
import NPCRuntime

/// The CLI's playback (`parley chat`, and `parley play` next): the runtime's OpenAL output, opened once; without a
/// device the chat goes on silently (speech still reaches --wav-dir and --trace).
struct PlaybackOutput {
    let runtime: Runtime
    private(set) var openError: String?

    init(_ runtime: Runtime, device: String?) {
        self.runtime = runtime
        var c = AudioOutputConfig()
        if let device { c.device = .named(device) }
        do {
            let output = try runtime.openAudio(c)
            print("[audio: playing through \(output.deviceName)]")
        } catch {
            openError = error.message
            print("[audio: \(error.message); playing nothing (--no-audio silences this)]")
        }
    }

    /// The ERROR event that repeats the open failure printed above.
    func isOwnOpenError(_ e: RuntimeEvent) -> Bool {
        e.errorKind == .audioDevice && e.npcID == 0 && e.text == openError
    }

    /// Keeps polling (which feeds the output) until the NPC falls silent, at most `seconds`.
    func waitUntilSilent(_ npc: NPC, seconds: Double) {
        let end = runtime.events.now() + seconds * 1000
        while runtime.isSpeaking(npc) && runtime.events.now() < end {
            _ = runtime.poll()
            usleep(5000)
        }
    }
}
