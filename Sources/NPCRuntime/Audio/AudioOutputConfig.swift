/// How distance attenuates a positioned voice (OpenAL's distance models; the
/// formulas are in the OpenAL 1.1 specification, section 3.4).
public enum DistanceModel: String, Sendable, CaseIterable {
    case none, inverse, inverseClamped = "inverse_clamped", linear, linearClamped = "linear_clamped",
         exponent, exponentClamped = "exponent_clamped"
}

/// The settings of an `AudioOutput`: which device, how loud, how distance
/// attenuates. Checked by `validate()` before a device is opened.
public struct AudioOutputConfig: Sendable, Equatable {
    public enum Device: Sendable, Equatable {
        /// The system's default output (OpenAL Soft picks the backend; `ALSOFT_DRIVERS` overrides).
        case systemDefault
        /// A device by its OpenAL name (`alcGetString(nil, ALC_ALL_DEVICES_SPECIFIER)` lists them).
        case named(String)
        /// No hardware: the mix is pulled with `AudioOutput.render` (ALC_SOFT_loopback),
        /// for tests and for games that mix our output into their own audio engine.
        case loopback(sampleRate: Int)
    }

    public var device: Device = .systemDefault
    public var distanceModel: DistanceModel = .inverseClamped
    /// Distance at which a voice plays at its own gain (metres, or the game's unit).
    public var referenceDistance: Float = 1
    /// How fast gain falls beyond the reference distance (0 = not at all).
    public var rolloff: Float = 1
    /// Clamped models stop attenuating here; linear models reach silence here.
    public var maxDistance: Float = 1000
    /// The listener's gain: scales every voice.
    public var gain: Float = 1

    public init() {}

    static let maxDeviceNameBytes = 1024
    static let gains: ClosedRange<Float> = 0...16
    static let distances: ClosedRange<Float> = 0...1_000_000
    static let loopbackRates = 8_000...192_000

    public func validate() throws(RuntimeError) {
        switch device {
        case .systemDefault: break
        case let .named(name):
            guard !name.isEmpty, name.utf8.count <= Self.maxDeviceNameBytes, !name.utf8.contains(0) else {
                throw RuntimeError(.invalidArgument, "audio device name must be 1…\(Self.maxDeviceNameBytes) bytes without NUL")
            }
        case let .loopback(rate):
            guard Self.loopbackRates.contains(rate) else {
                throw RuntimeError(.invalidArgument, "loopback sample rate must be \(Self.loopbackRates.lowerBound)…\(Self.loopbackRates.upperBound) Hz, got \(rate)")
            }
        }
        try Self.check(referenceDistance, Self.distances, "reference distance", positive: true)
        try Self.check(rolloff, Self.distances, "rolloff")
        try Self.check(maxDistance, Self.distances, "max distance", positive: true)
        try Self.check(gain, Self.gains, "gain")
    }

    static func check(_ value: Float, _ range: ClosedRange<Float>, _ what: String, positive: Bool = false) throws(RuntimeError) {
        // NaN fails `contains`, so it is refused with the range in the message.
        guard range.contains(value), !positive || value > 0 else {
            throw RuntimeError(.invalidArgument, "\(what) must be in \(positive ? "(" : "[")\(range.lowerBound), \(range.upperBound)], got \(value)")
        }
    }
}

/// Where the player's ears are, in the game's world coordinates (OpenAL's
/// right-handed frame: with the default orientation, -z is ahead, +x right).
public struct Listener: Sendable, Equatable {
    public var position: SIMD3<Float> = .zero
    public var velocity: SIMD3<Float> = .zero
    /// The direction the listener faces ("at") and the one above their head; not parallel.
    public var at = SIMD3<Float>(0, 0, -1)
    public var up = SIMD3<Float>(0, 1, 0)

    public init() {}

    public func validate() throws(RuntimeError) {
        for (v, what) in [(position, "position"), (velocity, "velocity"), (at, "at"), (up, "up")] {
            guard v.x.isFinite, v.y.isFinite, v.z.isFinite else {
                throw RuntimeError(.invalidArgument, "listener \(what) must be finite numbers")
            }
        }
        let cross = SIMD3(at.y * up.z - at.z * up.y, at.z * up.x - at.x * up.z, at.x * up.y - at.y * up.x)
        guard (cross * cross).sum() > 1e-12 else {
            throw RuntimeError(.invalidArgument, "listener at and up must be non-zero and not parallel")
        }
    }
}
