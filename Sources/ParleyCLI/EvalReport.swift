import NPCRuntime

/// One case run in one mode, scored.
struct EvalRow: Sendable {
    let id: String
    let kind: String
    let expect: EvalExpectation
    let run: EvalRun
    let score: EvalScore
}

/// The aggregate `parley eval` prints: rates over the rows of each mode, `by_kind`,
/// and the `--cases-out` line of each row.
struct EvalReport {
    let cases: Int
    let rows: [EvalRow]
    /// Modes that ran (`local`, `remote`, `routed`); the others report null.
    let modes: [String]
    /// The price the cost figures assume, and how many lines a player says per hour.
    var pricing: (inputPerMTok: Double, outputPerMTok: Double, turnsPerHour: Double)?

    private func rows(_ mode: String) -> [EvalRow] { rows.filter { $0.run.mode == mode } }

    /// The mode the call and red-team figures describe: routed when it ran (the product), else the first.
    var primaryMode: String { modes.contains("routed") ? "routed" : (modes.first ?? "local") }

    func successRate(_ mode: String, kind: String? = nil) -> Double? {
        guard modes.contains(mode) else { return nil }
        let r = rows(mode).filter { kind == nil || $0.kind == kind }
        return ratio(r.filter { $0.score.success }.count, r.count)
    }

    var validCallRate: Double? {
        let emitted = rows(primaryMode).flatMap(\.run.emitted)
        return ratio(emitted.filter(\.valid).count, emitted.count)
    }
    var correctCallRate: Double? {
        let r = rows(primaryMode).filter { if case .call = $0.expect.tool { true } else { false } }
        return ratio(r.filter(\.score.correctCall).count, r.count)
    }
    var falseCallRate: Double? {
        let r = rows(primaryMode).filter { $0.expect.tool == .noCall }
        return ratio(r.filter(\.score.falseCall).count, r.count)
    }
    var escalationShare: Double? {
        guard modes.contains("routed") else { return nil }
        let r = rows("routed")
        return ratio(r.filter { $0.run.route == "remote" || $0.run.route == "bridge" }.count, r.count)
    }
    var redteamAttempts: Int { Set(rows.filter { $0.kind == "redteam" }.map(\.id)).count }
    /// Over every mode: an unauthorised execution anywhere counts.
    var unauthorised: Int { rows.reduce(0) { $0 + $1.score.unauthorised } }

    /// Median latency to the first spoken text (to DONE when a turn spoke none).
    func latencyP50(_ mode: String) -> Double? { latency(mode, percentile: 50) }

    /// Latency to the first spoken text at a percentile (nearest rank).
    func latency(_ mode: String, percentile: Double) -> Double? {
        guard modes.contains(mode) else { return nil }
        let values = rows(mode).compactMap { $0.run.firstTextMs ?? $0.run.doneMs }.sorted()
        guard !values.isEmpty else { return nil }
        if percentile == 50 {
            let m = values.count / 2
            return values.count % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2
        }
        let rank = Int((percentile / 100 * Double(values.count)).rounded(.up))
        return values[min(values.count - 1, max(0, rank - 1))]
    }

    /// USD per hour of play in `mode`: the mean remote cost of a turn times the turns per hour.
    func costPerHour(_ mode: String) -> Double? {
        guard let pricing, modes.contains(mode), mode != "local" else { return nil }
        let r = rows(mode)
        guard !r.isEmpty else { return nil }
        return r.reduce(0) { $0 + $1.run.remoteUSD } / Double(r.count) * pricing.turnsPerHour
    }

    var kinds: [String] {
        var seen: [String] = []
        for r in rows where !seen.contains(r.kind) { seen.append(r.kind) }
        return seen
    }

    private func ratio(_ n: Int, _ d: Int) -> Double? { d == 0 ? nil : Double(n) / Double(d) }

    // MARK: JSON

    var json: JSONValue {
        let remote = modes.contains("remote") || modes.contains("routed")
        let remoteTokens = rows.reduce(0) { $0 + $1.run.remoteTokens }
        let byKind: [(String, JSONValue)] = kinds.map { kind in
            (kind, .object([("cases", .number(Double(Set(rows.filter { $0.kind == kind }.map(\.id)).count))),
                            ("local_only_success", number(successRate("local", kind: kind))),
                            ("remote_only_success", number(successRate("remote", kind: kind))),
                            ("routed_success", number(successRate("routed", kind: kind)))]))
        }
        return .object([
            ("cases", .number(Double(cases))),
            ("local_only_success", number(successRate("local"))),
            ("remote_only_success", number(successRate("remote"))),
            ("routed_success", number(successRate("routed"))),
            ("escalation_share", number(escalationShare)),
            ("valid_call_rate", number(validCallRate)),
            ("correct_call_rate", number(correctCallRate)),
            ("false_call_rate", number(falseCallRate)),
            ("redteam_attempts", .number(Double(redteamAttempts))),
            ("unauthorised", .number(Double(unauthorised))),
            ("latency_ms", .object(["local", "remote", "routed"].flatMap { m in
                [50.0, 90, 99].map { p in ("\(m)_p\(Int(p))", ms(latency(m, percentile: p))) }
            })),
            ("remote_tokens", remote ? .number(Double(remoteTokens)) : .null),
            ("cost_per_hour_usd", number(costPerHour(primaryMode == "local" ? "remote" : primaryMode))),
            ("cost_per_hour_usd_by_mode", .object([("remote", number(costPerHour("remote"))), ("routed", number(costPerHour("routed")))])),
            ("pricing", pricing.map { p in .object([("usd_per_mtok_input", .number(p.inputPerMTok)),
                                                     ("usd_per_mtok_output", .number(p.outputPerMTok)),
                                                     ("turns_per_hour", .number(p.turnsPerHour))]) } ?? .null),
            ("calls_mode", .string(primaryMode)),
            ("by_kind", .object(byKind)),
        ])
    }

    private func number(_ v: Double?) -> JSONValue {
        v.map { .number(($0 * 10000).rounded() / 10000) } ?? .null
    }

    private func ms(_ v: Double?) -> JSONValue { v.map { .number(($0 * 10).rounded() / 10) } ?? .null }

    /// The `--cases-out` line of a row: enough to re-score it without this scorer.
    static func caseLine(_ row: EvalRow) -> JSONValue {
        let r = row.run
        func call(_ c: EvalRun.Call, valid: Bool) -> JSONValue {
            var members: [(String, JSONValue)] = [("name", .string(c.name)), ("arguments", c.arguments ?? .null)]
            if valid { members.append(("valid", .bool(c.valid))) }
            return .object(members)
        }
        return .object([
            ("id", .string(row.id)), ("mode", .string(r.mode)), ("route", r.route.map { .string($0) } ?? .null),
            ("status", .string(r.status)), ("reply", .string(r.reply)),
            ("emitted", .array(r.emitted.map { call($0, valid: true) })),
            ("executed", .array(r.executed.map { call($0, valid: false) })),
            ("latency_ms", .object([("first_text", r.firstTextMs.map { .number(($0 * 10).rounded() / 10) } ?? .null),
                                    ("done", r.doneMs.map { .number(($0 * 10).rounded() / 10) } ?? .null)])),
            ("remote_tokens", .number(Double(r.remoteTokens))),
            ("route_cues", .array(r.cues.map { .string($0) })),
            ("success", .bool(row.score.success)),
            ("failures", .array(row.score.failures.map { .string($0) })),
        ])
    }
}
