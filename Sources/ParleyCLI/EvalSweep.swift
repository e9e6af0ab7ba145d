import ComputeRouter
import NPCRuntime

/// `parley eval --sweep`: success against escalation share over router
/// thresholds, computed from the per-case outcomes of the local-only and
/// remote-only runs (no routed run per threshold: a routed turn at threshold t
/// is counted as the remote-only outcome of that case when the router would
/// escalate it, else as the local-only outcome).
struct EvalSweep: Sendable {
    /// One case as the sweep sees it: the router's difficulty score, from the
    /// case's input alone, and whether each model's run of it succeeded.
    struct Case: Sendable, Equatable {
        let difficulty: Double
        let localSuccess: Bool
        let remoteSuccess: Bool
    }

    struct Point: Sendable, Equatable {
        let threshold: Double
        /// Fraction of cases the router escalates at this threshold.
        let escalationShare: Double
        let routedSuccess: Double
        /// Expected success of routing the same share of cases at random.
        let randomSuccess: Double
        var difference: Double { routedSuccess - randomSuccess }
    }

    let localSuccess: Double
    let remoteSuccess: Double
    /// In threshold order (ascending), so escalation share falls along it.
    let points: [Point]

    /// The difficulty the router scores for a case's turn: the same request
    /// `Runtime` builds for an auto turn after the case's history is preloaded.
    /// Reads only the input (never the case's id, kind or labels).
    static func difficulty(_ input: EvalInput) -> Double { TurnDifficulty(routeRequest(input)).score }

    static func routeRequest(_ input: EvalInput) -> RouteRequest {
        RouteRequest(npcName: input.name, policy: .auto, line: input.player, historyExchanges: input.history.count,
                     toolCount: input.tools.count, knowledgeLines: input.knowledge.count, knowledge: input.knowledge,
                     remoteAvailable: true)
    }

    /// `steps` thresholds evenly spaced over 0...1 (0: every turn escalates),
    /// then 1.05, above any difficulty (no turn escalates), so both ends are in the sweep.
    static func thresholds(steps: Int) -> [Double] {
        let n = max(2, steps)
        return (0..<n).map { Double($0) / Double(n - 1) } + [aboveEveryScore]
    }

    /// Difficulty scores are clamped to 0...1.
    static let aboveEveryScore = 1.05

    /// Exact expectation of random routing at escalation share `p`: each case
    /// goes remote with probability p, so success is linear between the two modes.
    static func random(share p: Double, local: Double, remote: Double) -> Double {
        p * remote + (1 - p) * local
    }

    init(cases: [Case], thresholds: [Double]) {
        let n = Double(max(1, cases.count))
        let local = Double(cases.filter(\.localSuccess).count) / n
        let remote = Double(cases.filter(\.remoteSuccess).count) / n
        localSuccess = local
        remoteSuccess = remote
        points = thresholds.sorted().map { t in
            var escalated = 0
            var succeeded = 0
            // Same comparison as AdaptiveRouter: difficulty at least the threshold goes remote.
            for c in cases {
                let remoteTurn = c.difficulty >= t
                if remoteTurn { escalated += 1 }
                if remoteTurn ? c.remoteSuccess : c.localSuccess { succeeded += 1 }
            }
            let share = Double(escalated) / n
            return Point(threshold: t, escalationShare: share, routedSuccess: Double(succeeded) / n,
                         randomSuccess: Self.random(share: share, local: local, remote: remote))
        }
    }

    /// The threshold with the highest routed success among those escalating at
    /// most `maxShare` of the cases (ties: the smaller share, then the higher threshold).
    func best(maxShare: Double = 0.5) -> Point? {
        points.filter { $0.escalationShare <= maxShare }.min { a, b in
            if a.routedSuccess != b.routedSuccess { return a.routedSuccess > b.routedSuccess }
            if a.escalationShare != b.escalationShare { return a.escalationShare < b.escalationShare }
            return a.threshold > b.threshold
        }
    }

    /// Routed success as a fraction of remote-only success (nil when remote-only never succeeded).
    func ratioToRemote(_ p: Point) -> Double? {
        remoteSuccess > 0 ? p.routedSuccess / remoteSuccess : nil
    }

    // MARK: Output

    static let method = "routed success at each threshold is computed from the per-case outcomes of the local-only "
        + "and remote-only runs (escalated case: its remote-only outcome, else its local-only outcome); "
        + "random = share × remote + (1 − share) × local"

    var json: JSONValue {
        .array(points.map { p in
            .object([("threshold", .number(Self.round(p.threshold))),
                     ("escalation_share", .number(Self.round(p.escalationShare))),
                     ("routed_success", .number(Self.round(p.routedSuccess))),
                     ("random_success", .number(Self.round(p.randomSuccess))),
                     ("difference", .number(Self.round(p.difference)))])
        })
    }

    /// The best threshold at most half escalated, for the JSON report (null when none qualifies).
    var bestJSON: JSONValue {
        guard let b = best() else { return .null }
        return .object([("max_escalation_share", .number(0.5)),
                        ("threshold", .number(Self.round(b.threshold))),
                        ("escalation_share", .number(Self.round(b.escalationShare))),
                        ("routed_success", .number(Self.round(b.routedSuccess))),
                        ("random_success", .number(Self.round(b.randomSuccess))),
                        ("routed_to_remote_ratio", ratioToRemote(b).map { .number(Self.round($0)) } ?? .null)])
    }

    /// The table `parley eval --sweep` prints.
    var table: String {
        func pct(_ v: Double) -> String { pad(String(percent: v), 8) }
        var lines = ["threshold  escalated    routed    random      diff"]
        for p in points {
            let diff = (p.difference >= 0 ? "+" : "") + String(percent: p.difference)
            lines.append(pad(String(fixed: p.threshold, decimals: 2), 9) + "  " + pct(p.escalationShare) + "  "
                         + pct(p.routedSuccess) + "  " + pct(p.randomSuccess) + "  " + pad(diff, 8))
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func round(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
}
