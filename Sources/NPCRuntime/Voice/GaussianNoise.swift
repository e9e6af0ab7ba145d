#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seeded standard-normal samples (Box–Muller over SplitMix64): the same seed
/// gives the same voice on every machine.
struct GaussianNoise {
    private var rng: SplitMix64
    private var spare: Float?

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// The stream from sample `index` on: what `index` calls of `next()` leave, in O(1) (each
    /// pair of samples takes two draws, and SplitMix64 after k draws is SplitMix64 seeded k steps on).
    init(seed: UInt64, from index: Int) {
        let pairs = UInt64(max(0, index) / 2)
        rng = SplitMix64(seed: seed &+ 2 &* pairs &* SplitMix64.increment)
        if index > 0 && index % 2 == 1 { _ = next() }
    }

    mutating func next() -> Float {
        if let s = spare { spare = nil; return s }
        let u1 = 1 - rng.nextDouble()  // (0, 1], so the log is finite
        let u2 = rng.nextDouble()
        let r = (-2 * log(u1)).squareRoot()
        spare = Float(r * sin(2 * Double.pi * u2))
        return Float(r * cos(2 * Double.pi * u2))
    }

    /// Fills `count` floats with samples × `scale`.
    mutating func fill(_ p: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        for i in 0..<count { p[i] = next() * scale }
    }
}
