import Foundation
import Testing
@testable import NPCRuntime

@Suite struct SamplerTests {
    /// The sampler before the heap: sort the whole vocabulary, then the same chain.
    func reference(_ logits: [Float], _ c: SamplerConfig, _ rng: inout SplitMix64) -> Int32 {
        var cand = logits.enumerated().filter { $0.element.isFinite }.map { (id: Int32($0.offset), logit: $0.element) }
        cand.sort { $0.logit != $1.logit ? $0.logit > $1.logit : $0.id < $1.id }
        if c.topK > 0 && c.topK < cand.count { cand.removeSubrange(c.topK...) }
        func softmax(_ t: Float) -> [Float] {
            let m = cand[0].logit
            let e = cand.map { expf(($0.logit - m) / t) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        var probs = softmax(1)
        if c.topP < 1 {
            var cum: Float = 0
            var keep = cand.count
            for (i, p) in probs.enumerated() { cum += p; if cum >= c.topP { keep = i + 1; break } }
            cand.removeSubrange(keep...); probs.removeSubrange(keep...)
        }
        if c.minP > 0 {
            let keep = max(1, probs.firstIndex { $0 < c.minP * probs[0] } ?? probs.count)
            cand.removeSubrange(keep...)
        }
        probs = softmax(c.temperature)
        let r = rng.nextFloat()
        var cum: Float = 0
        for (i, p) in probs.enumerated() { cum += p; if r < cum { return cand[i].id } }
        return cand[cand.count - 1].id
    }

    @Test func heapSelectionChoosesExactlyWhatAFullSortChooses() {
        var gen = SplitMix64(seed: 42)
        for trial in 0..<300 {
            let vocab = 50 + Int(gen.next() % 3000)
            // coarse values so ties are common (the order of equal logits matters)
            var logits = (0..<vocab).map { _ in Float(Int(gen.next() % 64)) / 4 - 8 }
            if trial % 5 == 0 { logits[Int(gen.next() % UInt64(vocab))] = -.infinity }
            var c = SamplerConfig()
            c.temperature = [0.3, 0.7, 1.0, 1.5][trial % 4]
            c.topK = [0, 1, 5, 40, 5000][trial % 5]
            c.topP = [1, 0.95, 0.5][trial % 3]
            c.minP = [0, 0.05, 0.2][trial % 3]
            c.seed = UInt64(trial)
            var sampler = Sampler(c)
            var rng = SplitMix64(seed: c.seed)
            for step in 0..<4 {
                let got = logits.withUnsafeBufferPointer { sampler.sample($0) }
                let want = reference(logits, c, &rng)
                #expect(got == want, "trial \(trial) step \(step)")
            }
        }
    }

    @Test func greedyTakesTheFirstBestFiniteLogit() {
        let logits: [Float] = [1, .nan, 3, 3, -.infinity, 2]
        var s = Sampler(.greedy)
        #expect(logits.withUnsafeBufferPointer { s.sample($0) } == 2)
        let none: [Float] = [-.infinity, .nan]
        #expect(none.withUnsafeBufferPointer { s.sample($0) } == 0)
    }

    @Test func processorsEditLogitsInPlace() {
        var logits: [Float] = [2, -2, 1, 4, 0.5]
        logits.withUnsafeMutableBufferPointer { b in
            // tokens 0 and 1 repeated (twice for 0: penalised once), 9 is out of range
            RepetitionPenalty(penalty: 2, window: 3).process(b, history: [3, 0, 1, 0, 9][...])
            LogitBias([2: 1.5, -1: 5, 99: 5]).process(b, history: [][...])
            TokenMask(banning: [4, 4, 100]).process(b, history: [][...])
        }
        // window 3 sees [1, 0, 9]: token 3 (outside the window) keeps its logit
        #expect(logits == [1, -4, 2.5, 4, -.infinity])
    }

    @Test func earlyStopMaskHoldsStopTokensOffUntilTheReplyHasStarted() {
        let mask = EarlyStopMask(banning: [0, 2], untilCount: 3)
        var logits: [Float] = [5, 1, 4]
        logits.withUnsafeMutableBufferPointer { mask.process($0, history: [7, 8][...]) }
        #expect(logits == [-.infinity, 1, -.infinity])
        var later: [Float] = [5, 1, 4]
        later.withUnsafeMutableBufferPointer { mask.process($0, history: [7, 8, 9][...]) }
        #expect(later == [5, 1, 4])
    }

    @Test func configBuildsBiasThenPenalty() {
        var c = SamplerConfig()
        #expect(c.processors.isEmpty)
        c.logitBias = [0: 1]
        c.repeatPenalty = 1.1
        let p = c.processors
        #expect(p.count == 2 && p[0] is LogitBias && p[1] is RepetitionPenalty)
    }

    @Test func aMaskedTokenIsNeverSampled() {
        var gen = SplitMix64(seed: 3)
        var c = SamplerConfig.npcDefault
        c.seed = 9
        var sampler = Sampler(c)
        let mask = TokenMask(banning: [7])
        for _ in 0..<200 {
            var logits = (0..<64).map { _ in gen.nextFloat() * 4 }
            logits[7] = 100
            let token = logits.withUnsafeMutableBufferPointer { b -> Int32 in
                mask.process(b, history: [][...])
                return sampler.sample(UnsafeBufferPointer(b))
            }
            #expect(token != 7)
        }
    }
}
