import Testing
@testable import NPCRuntime

struct GaussianNoiseTests {
    /// A stream started at sample n is the stream after n samples, even or odd n (the prior's rows
    /// are drawn in parallel this way, and must be the samples a single stream gives).
    @Test func aStreamStartedAtASampleContinuesTheWholeStream() {
        for seed: UInt64 in [0, 7, 0xDEAD_BEEF_0123_4567] {
            var whole = GaussianNoise(seed: seed)
            let samples = (0..<301).map { _ in whole.next() }
            for start in [0, 1, 2, 3, 50, 101, 250] {
                var part = GaussianNoise(seed: seed, from: start)
                let rest = (start..<samples.count).map { _ in part.next() }
                #expect(rest.map(\.bitPattern) == samples[start...].map(\.bitPattern), "seed \(seed), from \(start)")
            }
        }
        var a = GaussianNoise(seed: 3), b = GaussianNoise(seed: 4)
        #expect(a.next() != b.next())
    }
}
