import Testing
import Foundation
@testable import NPCRuntime

/// Voice design on synthetic signals: a harmonic "voice" with a known F0 and a
/// known formant, so each stage's effect can be measured, not listened to.
@Suite struct VoiceDesignTests {
    static let rate = 22050

    /// Harmonics of `f0` up to 5 kHz under a resonance at `formant` Hz.
    static func voice(f0: Double, formant: Double = 1000, seconds: Double) -> [Float] {
        let n = Int(seconds * Double(rate))
        var x = [Float](repeating: 0, count: n)
        var h = 1
        while Double(h) * f0 < 5000 {
            let f = Double(h) * f0
            let amp = 1 / (1 + pow((f - formant) / 150, 2))
            let w = 2 * Double.pi * f / Double(rate)
            for i in 0..<n { x[i] += Float(0.1 * amp * sin(w * Double(i))) }
            h += 1
        }
        return x
    }

    /// F0 of the middle of `x` by normalised autocorrelation (60–500 Hz).
    static func f0(_ x: [Float]) -> Double {
        let start = x.count / 4, length = min(4096, x.count / 2)
        let seg = Array(x[start..<start + length])
        var best = 0.0, bestLag = 0
        let lags = (rate / 500)...(rate / 60)
        var r = [Double](repeating: 0, count: lags.upperBound + 2)
        for lag in lags.lowerBound...(lags.upperBound + 1) {
            var s = 0.0, e1 = 0.0, e2 = 0.0
            for i in 0..<(length - lag) {
                s += Double(seg[i] * seg[i + lag])
                e1 += Double(seg[i] * seg[i])
                e2 += Double(seg[i + lag] * seg[i + lag])
            }
            r[lag] = s / max(1e-12, (e1 * e2).squareRoot())
        }
        // the first peak above 0.8 of the best (avoid octave errors at 2·period)
        for lag in lags where r[lag] > best { best = r[lag]; bestLag = lag }
        for lag in lags where r[lag] > 0.9 * best && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1] { bestLag = lag; break }
        let a = r[bestLag - 1], b = r[bestLag], c = r[bestLag + 1]
        let shift = (a - 2 * b + c) != 0 ? 0.5 * (a - c) / (a - 2 * b + c) : 0
        return Double(rate) / (Double(bestLag) + shift)
    }

    /// Energy of `x` in [low, high) Hz (one DFT over the power-of-two prefix).
    static func bandEnergy(_ x: [Float], _ low: Double, _ high: Double) -> Double {
        let fft = FFT(size: 1 << 15)
        var re = [Float](repeating: 0, count: fft.size), im = re
        for i in 0..<min(x.count, fft.size) { re[i] = x[i] }
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: false) }
        }
        var e = 0.0
        for k in 0...(fft.size / 2) {
            let f = Double(k) * Double(rate) / Double(fft.size)
            if f >= low && f < high { e += Double(re[k] * re[k] + im[k] * im[k]) }
        }
        return e
    }

    /// The strongest harmonic's frequency (where the formant is), from a DFT.
    static func peakFrequency(_ x: [Float]) -> Double {
        let fft = FFT(size: 1 << 14)
        var re = [Float](repeating: 0, count: fft.size), im = re
        let start = x.count / 4
        for i in 0..<min(fft.size, x.count - start) { re[i] = x[start + i] * Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(fft.size))) }
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: false) }
        }
        var best = 0, bestPower: Float = 0
        for k in 1..<(fft.size / 2) where re[k] * re[k] + im[k] * im[k] > bestPower {
            bestPower = re[k] * re[k] + im[k] * im[k]
            best = k
        }
        return Double(best) * Double(rate) / Double(fft.size)
    }

    /// Runs `x` through a chain in chunks of the given sizes (cycled), as the speech stage does.
    static func run(_ style: VoiceStyle, _ x: [Float], chunks: [Int] = [4096]) -> (out: [Float], expected: Int) {
        let chain = VoiceDesignChain(style: style, sampleRate: rate)
        let expected = chain.beginSentence(inputCount: x.count)
        var out: [Float] = []
        var i = 0, c = 0
        while i < x.count {
            let n = min(chunks[c % chunks.count], x.count - i)
            out += x[i..<i + n].withUnsafeBufferPointer { chain.process($0, isLast: i + n == x.count) }
            i += n
            c += 1
        }
        return (out, expected)
    }

    @Test func fftRoundTripsAndFindsATone() {
        let fft = FFT(size: 256)
        var re = (0..<256).map { Float(sin(2 * Double.pi * 10 * Double($0) / 256)) }, im = [Float](repeating: 0, count: 256)
        let original = re
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: false) }
        }
        #expect(abs(im[10] + 128) < 1e-3)  // sin → −i·N/2 at bin 10
        #expect(abs(re[11]) < 1e-3)
        re.withUnsafeMutableBufferPointer { r in
            im.withUnsafeMutableBufferPointer { m in fft.transform(re: r.baseAddress!, im: m.baseAddress!, inverse: true) }
        }
        #expect(zip(re, original).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func pitchShiftMovesF0AndKeepsDuration() {
        // the voice model speaks 1.25× longer at the same F0; the chain resamples it back
        var style = VoiceStyle()
        style.pitch = 1.25
        let longer = Self.voice(f0: 120, seconds: 1.25)
        let (out, expected) = Self.run(style, longer)
        #expect(out.count == expected)
        #expect(abs(out.count - Self.rate) <= 1)
        let ratio = Self.f0(out) / Self.f0(longer)
        #expect(abs(ratio - 1.25) < 0.02, "F0 ratio \(ratio)")
    }

    @Test func formantShiftMovesTheEnvelopeNotTheF0() {
        var style = VoiceStyle()
        style.formant = 1.3
        let x = Self.voice(f0: 100, formant: 1000, seconds: 1)
        let (out, expected) = Self.run(style, x)
        #expect(out.count == expected && expected == x.count)
        #expect(abs(Self.f0(out) / Self.f0(x) - 1) < 0.02)
        let before = Self.peakFrequency(x), after = Self.peakFrequency(out)
        #expect(abs(before - 1000) < 30)
        #expect(abs(after / before - 1.3) < 0.12, "formant peak \(before) → \(after) Hz")
    }

    @Test func pitchWithFormantKeptLeavesTheFormantInPlace() {
        var style = VoiceStyle()
        style.pitch = 1.4
        let longer = Self.voice(f0: 100, formant: 1000, seconds: 1.4)
        let (out, _) = Self.run(style, longer)
        #expect(abs(Self.f0(out) / 100 - 1.4) < 0.03)
        // a plain resample would move the peak to 1400 Hz; the warp holds it near 1000
        #expect(abs(Self.peakFrequency(out) - 1000) < 150, "peak \(Self.peakFrequency(out)) Hz")
    }

    @Test func rateStretchesDurationsExactlyAndRateOneIsPiper() throws {
        var g = SplitMix64(seed: 3)
        let logw = (0..<60).map { _ in Float(g.nextDouble() * 2 - 0.5) }
        let piper = try VITSModel.frames(logw, lengthScale: 1)
        #expect(try VITSModel.frames(logw, lengthScale: 1, stretch: 1) == piper)
        #expect(piper == logw.map { Int((expf($0)).rounded(.up)) })
        let total = piper.reduce(0, +)
        for stretch: Float in [0.25, 0.8, 1 / 0.8, 2, 2.5] {
            let f = try VITSModel.frames(logw, lengthScale: 1, stretch: stretch)
            let expected = Double(total) * Double(stretch)
            #expect(abs(Double(f.reduce(0, +)) - expected) <= 1, "stretch \(stretch): \(f.reduce(0, +)) vs \(expected)")
        }
        // the style's scales: rate 0.8 at pitch 1 → stretch 1.25; the length scale stays the voice's
        var style = VoiceStyle()
        style.rate = 0.8
        let s = style.scales(over: VoiceScales(noise: 0.667, length: 1, noiseW: 0.8))
        #expect(s.length == 1 && abs(s.stretch - 1.25) < 1e-6)
        #expect(VoiceStyle().scales(over: VoiceScales()).stretch == 1)
    }

    @Test func radioKeepsOnlyTheVoiceBand() {
        var g = SplitMix64(seed: 11)
        let noise = (0..<(1 << 15)).map { _ in Float(g.nextDouble() - 0.5) * 0.2 }
        var style = VoiceStyle()
        style.effects = [.radio]
        let (out, _) = Self.run(style, noise)
        func db(_ x: [Float], _ lo: Double, _ hi: Double) -> Double {
            10 * log10(Self.bandEnergy(x, lo, hi) / (hi - lo))
        }
        // per-Hz energy, relative to the pass band
        let passIn = db(noise, 800, 2500), passOut = db(out, 800, 2500)
        let lowDrop = (db(noise, 20, 150) - passIn) - (db(out, 20, 150) - passOut)
        let highDrop = (db(noise, 6000, 11000) - passIn) - (db(out, 6000, 11000) - passOut)
        #expect(lowDrop > 30, "below 150 Hz: \(lowDrop) dB")
        #expect(highDrop > 30, "above 6 kHz: \(highDrop) dB")
    }

    @Test func chunkedProcessingEqualsWholeSignal() {
        var style = VoiceStyle()
        style.pitch = 1.2
        style.formant = 1.1
        style.gain = 1.3
        style.effects = [.whisper, .radio, .tremolo, .robot, .hall]
        let x = Self.voice(f0: 110, seconds: 0.9)
        let whole = Self.run(style, x, chunks: [x.count])
        let chunked = Self.run(style, x, chunks: [4096, 777, 8192, 33, 1500])
        #expect(whole.out.count == whole.expected && chunked.out.count == whole.expected)
        let diff = zip(whole.out, chunked.out).map { abs($0 - $1) }.max() ?? 1
        #expect(diff < 1e-5, "max difference \(diff)")
        #expect(whole.out.contains { abs($0) > 1e-3 })
    }

    @Test func everySentenceKeepsItsLengthThroughDelayingEffects() {
        var style = VoiceStyle()
        style.effects = [.whisper, .tremolo, .cave]
        let chain = VoiceDesignChain(style: style, sampleRate: Self.rate)
        for length in [300, 5000, 22050] {
            let x = Self.voice(f0: 130, seconds: Double(length) / Double(Self.rate))
            #expect(chain.beginSentence(inputCount: x.count) == x.count)
            let out = x.withUnsafeBufferPointer { chain.process($0, isLast: true) }
            #expect(out.count == x.count)
        }
    }

    @Test func visemesFollowTheResampledAudio() {
        let spans = [VisemeSpan(viseme: .sil, start: 0, end: 1000), VisemeSpan(viseme: .aa, start: 1000, end: 1001),
                     VisemeSpan(viseme: .sil, start: 1001, end: 5000)]
        let scaled = VoiceDesignChain.scale(spans, from: 5000, to: 4000)
        #expect(scaled.first?.start == 0 && scaled.last?.end == 4000)
        #expect(scaled[0].end == 800)
        for (a, b) in zip(scaled, scaled.dropFirst()) { #expect(a.end == b.start) }
    }

    @Test func stylesParseFromPresetsAndJSON() throws {
        let old = try VoiceStyle.parse("old_man")
        #expect(old.preset == "old_man" && old.effects == [.tremolo] && old.pitch < 1)
        let s = try VoiceStyle.parse(#" {"preset":"child","pitch":1.3,"effects":["radio","hall"]} "#)
        #expect(s.pitch == 1.3 && s.formant == VoicePresets.style(named: "child")?.formant && s.effects == [.radio, .hall])
        // the JSON a style prints reads back as the same style
        for name in VoicePresets.names {
            let p = try VoiceStyle.parse(name)
            #expect(try VoiceStyle.parse(p.json.serialized) == p, "\(name)")
        }
        #expect(VoicePresets.names.count >= 4)
    }

    @Test func badStylesAreRejectedWithAMessage() {
        let cases: [(String, String)] = [
            ("elf_queen", "unknown voice preset"),
            (#"{"pitch":3}"#, "voice pitch is 3"),
            (#"{"formant":0.5}"#, "voice formant"),
            (#"{"rate":0}"#, "voice rate"),
            (#"{"pitch":"high"}"#, "must be a number"),
            (#"{"effects":["radio","disco"]}"#, "unknown voice effect \"disco\""),
            (#"{"effects":"radio"}"#, "array of names"),
            (#"{"effects":["radio","radio","radio","radio","radio","radio","radio","radio","radio"]}"#, "at most 8"),
            (#"{"colour":"blue"}"#, "unknown voice style key"),
            (#"{"pitch":1.2"#, "not valid JSON"),
            (#"{"preset":7}"#, "must be a string"),
            (String(repeating: " ", count: 5000), "bytes"),
        ]
        for (text, message) in cases {
            do {
                _ = try VoiceStyle.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.message.contains(message), "\(text): \(error.message)")
            }
        }
    }

    @Test func configValidationBoundsTheDesign() {
        var c = NPCConfig(name: "Ghost", persona: "")
        c.voice.pitch = 2.5
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.voice.pitch = .nan
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.voice.pitch = 1
        c.voice.effects = Array(repeating: .radio, count: 9)
        #expect(throws: RuntimeError.self) { try c.validate() }
        c.voice.effects = [.radio]
        #expect(throws: Never.self) { try c.validate() }
    }

    @Test func snapshotsKeepTheVoiceStyle() throws {
        var c = NPCConfig(name: "Hilde", persona: "A witch.")
        c.voice = try VoiceStyle.parse(#"{"preset":"witch","rate":0.9,"effects":["tremolo","cave"]}"#)
        let npc = NPC(id: 1, config: c)
        let d = try NPCSnapshot.decode(NPCSnapshot.encode(npc))
        #expect(d.config.voice == c.voice)
        // a plain voice saves as before: no design fields
        let plain = String(decoding: NPCSnapshot.encode(NPC(id: 2, config: NPCConfig(name: "A", persona: ""))), as: UTF8.self)
        #expect(!plain.contains("pitch") && !plain.contains("effects"))
    }
}

@Suite struct StageDirectionDeliveryTests {
    @Test func directionsChangeTheDelivery() throws {
        let w = StageDirections.read("(whispers) Come closer.")
        #expect(w.spoken == "Come closer.")
        #expect(w.delivery?.whisper == true && !w.carriesOver)
        let styled = try #require(w.delivery).apply(to: VoiceStyle())
        #expect(styled.effects == [.whisper] && styled.gain < 1)

        let shout = StageDirections.read("*shouting* Guards! To me!")
        #expect(shout.delivery.map { $0.gain > 1 && $0.rate > 1 } == true)

        let trailing = StageDirections.read("You fool. (laughs)")
        #expect(trailing.spoken == "You fool." && trailing.carriesOver && trailing.delivery?.tremolo == true)

        let alone = StageDirections.read("*sighs*")
        #expect(alone.spoken == "" && alone.delivery.map { $0.rate < 1 } == true)

        #expect(StageDirections.read("(pauses) Well.").delivery == nil)
        #expect(StageDirections.read("No directions.").delivery == nil)
    }

    @Test func deliveryStaysInsideTheStyleBounds() {
        var style = VoiceStyle()
        style.rate = 3.9
        style.pitch = 1.95
        style.effects = Array(repeating: .hall, count: 8)
        let d = Delivery(direction: "shouting and laughing")
        let s = d.map { $0.apply(to: style) } ?? style
        #expect(s.rate <= 4 && s.pitch <= 2 && s.effects.count <= VoiceEffect.maxChain)
        #expect((try? s.validate()) != nil)
    }
}
