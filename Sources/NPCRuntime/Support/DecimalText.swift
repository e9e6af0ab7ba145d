/// Fixed-decimal text without Foundation (the library does not link it): the
/// router's reasons, the eval's tables and the sweep plot's labels.
extension String {
    /// `v` with a fixed number of decimals, without Foundation's `String(format:)`.
    public init(fixed v: Double, decimals: Int) {
        let decimals = Swift.min(9, Swift.max(0, decimals))
        let scale = (0..<decimals).reduce(1.0) { a, _ in a * 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled.isFinite, scaled < 1e15 else { self = v.isNaN ? "nan" : "inf"; return }
        let whole = Int(scaled) / Int(scale)
        let fraction = String(Int(scaled) % Int(scale))
        let sign = v < 0 && scaled > 0 ? "-" : ""
        self = sign + String(whole)
            + (decimals > 0 ? "." + String(repeating: "0", count: decimals - fraction.count) + fraction : "")
    }
}
