#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A second-order IIR section (RBJ audio-EQ cookbook), transposed direct form II.
struct Biquad {
    private var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    private var s1: Float = 0, s2: Float = 0

    enum Kind { case lowPass, highPass }

    init(_ kind: Kind, frequency: Double, q: Double, sampleRate: Int) {
        let w = 2 * Double.pi * min(frequency, 0.49 * Double(sampleRate)) / Double(sampleRate)
        let alpha = sin(w) / (2 * q), c = cos(w)
        let a0 = 1 + alpha
        let (n0, n1): (Double, Double) = kind == .lowPass ? ((1 - c) / 2, 1 - c) : ((1 + c) / 2, -(1 + c))
        b0 = Float(n0 / a0)
        b1 = Float(n1 / a0)
        b2 = Float(n0 / a0)
        a1 = Float(-2 * c / a0)
        a2 = Float((1 - alpha) / a0)
    }

    mutating func step(_ x: Float) -> Float {
        let y = b0 * x + s1
        s1 = b1 * x - a1 * y + s2
        s2 = b2 * x - a2 * y
        return y
    }

    /// The Q of each section of an order-2n Butterworth filter.
    static func butterworthQs(sections n: Int) -> [Double] {
        (0..<n).map { k in 1 / (2 * cos(Double.pi * Double(2 * k + 1) / Double(4 * n))) }
    }
}
