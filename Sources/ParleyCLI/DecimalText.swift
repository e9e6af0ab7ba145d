/// Percentages for the eval's tables and the sweep plot's labels (on
/// `String(fixed:decimals:)`, without Foundation's `String(format:)`).
extension String {
    /// A rate as a percentage with one decimal: 0.4125 → "41.3%".
    init(percent v: Double) {
        self = String(fixed: v * 100, decimals: 1) + "%"
    }
}
