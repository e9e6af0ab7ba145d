/// A tiny seeded generator (SplitMix64): same seed, same stream, on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Added to the state by every draw.
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
