import ArgumentParser
import Foundation
import NPCRuntime

/// Renders one line through every voice preset, to hear (or measure) them side by side.
struct Voices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voices",
        abstract: "List the voice presets; with --out, render a line through each to DIR/<preset>.wav.",
        discussion: "plain.wav is the unmodified voice. Presets: \(VoicePresets.names.joined(separator: ", ")).")

    @Option(name: [.customShort("v"), .long], help: "Voice .onnx (path or bare name)")
    var voice = "en_US-joe-medium.onnx"

    @Option(name: .long, help: "Line to speak")
    var text = "Well met, traveler. The road to the old mill is not safe after dark."

    @Option(name: .long, help: "Directory for the WAV files")
    var out: String?

    @Option(name: .long, help: "Noise seed")
    var seed: UInt64 = 0

    func run() throws {
        guard let out else {
            for name in VoicePresets.names {
                if let s = VoicePresets.style(named: name) { print(name + " " + s.json.serialized) }
            }
            return
        }
        let speech: SpeechSynthesizer
        do {
            speech = try SpeechSynthesizer(voicePath: try resolveModel(voice))
        } catch let error as RuntimeError {
            throw CLIFailure(error.message)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let styles = [("plain", VoiceStyle())] + VoicePresets.names.compactMap { n in VoicePresets.style(named: n).map { (n, $0) } }
        for (name, style) in styles {
            let chain = style.isPlain ? nil : VoiceDesignChain(style: style, sampleRate: speech.sampleRate)
            var samples: [Float] = []
            do throws(RuntimeError) {
                for sentence in try speech.sentences(for: text) {
                    let stream = try speech.start(sentence, scales: style.scales(over: speech.scales), seed: seed)
                    _ = chain?.beginSentence(inputCount: stream.sampleCount)
                    while let chunk = stream.next() {
                        if let chain { samples += chain.process(chunk.samples, isLast: chunk.isLast) } else { samples += chunk.samples }
                    }
                }
            } catch {
                throw CLIFailure("\(name): \(error.message)")
            }
            let file = (out as NSString).appendingPathComponent(name + ".wav")
            try WAVFile.write(samples, sampleRate: speech.sampleRate, to: file)
            print(String(format: "%@ %.2f s", file, Double(samples.count) / Double(speech.sampleRate)))
        }
    }
}
