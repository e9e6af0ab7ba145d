import Foundation
import LuaBindings
import NPCRuntime

/// One game run from Swift: drives the Lua game (command, update, drain) and turns
/// what it reports into subtitles, status lines, WAV files and trace lines. Playback
/// is the game's own: its runtime's OpenAL output (`rt:audio`), fed by `rt:update`.
final class PlaySession {
    /// What one command produced, for `parley test`.
    struct Outcome {
        var narration: [String] = []
        var reply = ""
        var route: String?
        var status = "ok"
        var spoke = false
        var tools: [(name: String, arguments: String)] = []
    }

    let game: LuaGame
    let wavDir: String?
    let tracer: TraceWriter?
    /// The transcript (stdout when interactive, stderr when headless; nil: silent).
    let transcript: ((String) -> Void)?
    private(set) var outcome = Outcome()
    private(set) var wavFiles: [String] = []
    private var audio: [Float] = []
    private var sampleRate = 22050
    private var subtitleOpen = false
    private let start = Date()

    init(game: LuaGame, wavDir: String?, tracer: TraceWriter?, transcript: ((String) -> Void)?) {
        self.game = game
        self.wavDir = wavDir
        self.tracer = tracer
        self.transcript = transcript
    }

    var elapsedMs: Double { Date().timeIntervalSince(start) * 1000 }

    func busy() throws -> Bool { try call("busy").isTruthy }

    /// Runs a player line; false when the player quit.
    func command(_ line: String) throws -> Bool {
        outcome = Outcome()
        tracer?.write(["type": "PLAYER", "t_ms": elapsedMs, "text": line])
        let keepGoing = try call("command", [.text(line)])
        try pump(dt: 0)
        return keepGoing.isTruthy
    }

    /// Barge-in: the NPC stops talking (its turn ends "cancelled") and queued audio is dropped.
    func interrupt() throws {
        try call("interrupt")  // the runtime also silences the NPC's queued speech
        closeSubtitle(" —")
    }

    func pump(dt: Double) throws {
        try call("update", [.number(dt)])
        for record in try call("drain").items { handle(record) }
    }

    /// Pumps until the NPC has finished (false on timeout, after cancelling the turn).
    func waitUntilIdle(timeoutSeconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try busy() {
            if Date() > deadline {
                try interrupt()
                return false
            }
            try pump(dt: 0.005)
            usleep(5000)
        }
        try pump(dt: 0)
        return true
    }

    func stateJSON() throws -> String {
        guard let json = try call("state_json").stringValue else { throw CLIFailure("game:state_json must return a string") }
        return json
    }

    @discardableResult
    private func call(_ method: String, _ args: [LuaValue] = []) throws -> LuaValue {
        do { return try game.call(method, args) } catch { throw CLIFailure(error.message) }
    }

    private func say(_ s: String) { transcript?(s) }

    private func closeSubtitle(_ suffix: String = "") {
        if subtitleOpen { say(suffix + "\n") }
        subtitleOpen = false
    }

    private func handle(_ r: LuaValue) {
        let kind = r["kind"]?.stringValue ?? ""
        let npc = r["npc"]?.stringValue ?? ""
        switch kind {
        case "narrate", "note":
            let text = r["text"]?.stringValue ?? ""
            closeSubtitle()
            say(text + "\n")
            outcome.narration.append(text)
            tracer?.write(["type": kind.uppercased(), "t_ms": elapsedMs, "text": text])
        case "text":
            let text = r["text"]?.stringValue ?? ""
            if !subtitleOpen { say("\(npc): "); subtitleOpen = true }
            say(text)
            tracer?.write(["type": "TEXT", "t_ms": elapsedMs, "npc_name": npc, "text": text])
        case "audio":
            guard case let .string(bytes)? = r["pcm"] else { return }
            let samples = Self.floats(bytes)
            sampleRate = Int(r["sample_rate"]?.numberValue ?? 22050)
            audio += samples
            tracer?.write(["type": "AUDIO", "t_ms": elapsedMs, "npc_name": npc, "samples": samples.count, "sample_rate": sampleRate])
        case "tool":
            let name = r["name"]?.stringValue ?? "?"
            let arguments = r["arguments"]?.stringValue ?? "{}"
            closeSubtitle()
            say("  [quest hook \(name) \(arguments), run by the \(r["by"]?.stringValue ?? "?")]\n")
            outcome.tools.append((name, arguments))
            tracer?.write(["type": "TOOL", "t_ms": elapsedMs, "npc_name": npc, "name": name, "text": arguments])
        case "done":
            finishLine(r, npc: npc)
        default:
            break
        }
    }

    /// The end of an NPC's line: status line, WAV file, outcome.
    private func finishLine(_ r: LuaValue, npc: String) {
        closeSubtitle()
        let route = r["route"]?.stringValue ?? "?"
        let status = r["status"]?.stringValue ?? "?"
        outcome.spoke = true
        outcome.reply = r["reply"]?.stringValue ?? ""
        outcome.route = route
        outcome.status = status
        let tokens = Int(r["tokens"]?.numberValue ?? 0)
        let generateMs = r["generate_ms"]?.numberValue ?? 0
        var parts = ["\(npc)", "route \(route)"]
        if status != "ok" { parts.append(status) }
        if let prefilled = r["prefilled"]?.numberValue, prefilled > 0 {
            parts.append(String(format: "prefill %d tok %.0f ms", Int(prefilled), r["prefill_ms"]?.numberValue ?? 0))
        }
        if tokens > 0 && generateMs > 0 {
            parts.append(String(format: "%d tok, %.1f tok/s", tokens, Double(tokens) / generateMs * 1000))
        }
        if let ms = r["first_audio_ms"]?.numberValue { parts.append(String(format: "first audio %.0f ms", ms)) }
        parts.append(String(format: "remote %d tok, $%.4f", Int(r["remote_tokens"]?.numberValue ?? 0), r["remote_usd"]?.numberValue ?? 0))
        say("  [" + parts.joined(separator: " · ") + "]\n")
        tracer?.write(["type": "DONE", "t_ms": elapsedMs, "npc_name": npc, "route": route, "status": status,
                       "text": outcome.reply, "tokens": tokens])
        if let wavDir, !audio.isEmpty {
            let safe = String(npc.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
            let path = String(format: "%@/%03d-%@.wav", wavDir, wavFiles.count + 1, safe.isEmpty ? "npc" : safe)
            do {
                try WAVFile.write(audio, sampleRate: sampleRate, to: path)
                wavFiles.append(path)
            } catch {
                say("  [cannot write \(path): \(error.localizedDescription)]\n")
            }
        }
        audio = []
    }

    /// Float32 little-endian PCM (the AUDIO event's payload) as samples.
    static func floats(_ bytes: [UInt8]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(bytes.count / 4)
        var i = 0
        while i + 4 <= bytes.count {
            let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            out.append(Float(bitPattern: bits))
            i += 4
        }
        return out
    }
}
