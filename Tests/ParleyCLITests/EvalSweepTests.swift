import Testing
import ComputeRouter
import NPCRuntime
@testable import ParleyCLI

/// `--sweep`'s computation on hand-made per-case outcomes: exact endpoints,
/// the random line, and a router that escalates where remote wins beating random.
@Suite struct EvalSweepTests {
    // local 2/4, remote 3/4; remote wins (local fails, remote succeeds) on the 0.6 and 0.9 cases.
    let cases: [EvalSweep.Case] = [
        .init(difficulty: 0.0, localSuccess: true, remoteSuccess: false),
        .init(difficulty: 0.3, localSuccess: true, remoteSuccess: true),
        .init(difficulty: 0.6, localSuccess: false, remoteSuccess: true),
        .init(difficulty: 0.9, localSuccess: false, remoteSuccess: true),
    ]

    @Test func pointsAreExact() {
        let s = EvalSweep(cases: cases, thresholds: [1.05, 0.5, 0, 0.25, 0.75, 1.0])
        #expect(s.localSuccess == 0.5 && s.remoteSuccess == 0.75)
        #expect(s.points.map(\.threshold) == [0, 0.25, 0.5, 0.75, 1.0, 1.05])
        #expect(s.points.map(\.escalationShare) == [1, 0.75, 0.5, 0.25, 0, 0])
        #expect(s.points.map(\.routedSuccess) == [0.75, 1, 1, 0.75, 0.5, 0.5])
        #expect(s.points.map(\.randomSuccess) == [0.75, 0.6875, 0.625, 0.5625, 0.5, 0.5])
        #expect(s.points.map(\.difference) == [0, 0.3125, 0.375, 0.1875, 0, 0])
    }

    @Test func endpointsAreTheSingleModelRuns() {
        let s = EvalSweep(cases: cases, thresholds: EvalSweep.thresholds(steps: 21))
        let all = s.points.first, none = s.points.last
        #expect(all?.threshold == 0 && all?.escalationShare == 1 && all?.routedSuccess == s.remoteSuccess)
        #expect(none?.threshold == 1.05 && none?.escalationShare == 0 && none?.routedSuccess == s.localSuccess)
        // At either end random routing is the same single model.
        #expect(all?.randomSuccess == s.remoteSuccess && none?.randomSuccess == s.localSuccess)
    }

    @Test func randomIsTheStraightLine() {
        #expect(EvalSweep.random(share: 0, local: 0.25, remote: 0.75) == 0.25)
        #expect(EvalSweep.random(share: 1, local: 0.25, remote: 0.75) == 0.75)
        #expect(EvalSweep.random(share: 0.5, local: 0.25, remote: 0.75) == 0.5)
        #expect(EvalSweep.random(share: 0.25, local: 0.5, remote: 1) == 0.625)
    }

    @Test func oracleRouterBeatsRandom() {
        // 40 cases; difficulty 1 exactly where remote succeeds and local fails, else 0.
        var oracle: [EvalSweep.Case] = []
        for i in 0..<40 {
            let local = i % 3 == 0, remote = i % 2 == 0
            oracle.append(.init(difficulty: !local && remote ? 1 : 0, localSuccess: local, remoteSuccess: remote))
        }
        let s = EvalSweep(cases: oracle, thresholds: EvalSweep.thresholds(steps: 11))
        let middle = s.points.filter { $0.escalationShare > 0 && $0.escalationShare < 1 }
        #expect(!middle.isEmpty)
        for p in middle {
            #expect(p.routedSuccess > p.randomSuccess)
            #expect(p.routedSuccess > max(s.localSuccess, s.remoteSuccess))
        }
        // Escalating the 1-difficulty cases: every case some model answers, succeeds.
        let either = Double(oracle.filter { $0.localSuccess || $0.remoteSuccess }.count) / 40
        #expect(middle.allSatisfy { $0.routedSuccess == either })
    }

    @Test func bestAtMostHalfEscalated() throws {
        let s = EvalSweep(cases: cases, thresholds: [0, 0.25, 0.5, 0.75, 1.05])
        let b = try #require(s.best())
        #expect(b.threshold == 0.5 && b.escalationShare == 0.5 && b.routedSuccess == 1)
        #expect(s.ratioToRemote(b) == 1 / 0.75)
        // Nothing succeeds remotely: no ratio.
        let none = EvalSweep(cases: [.init(difficulty: 0, localSuccess: true, remoteSuccess: false)], thresholds: [0, 1.05])
        #expect(none.ratioToRemote(try #require(none.best())) == nil)
    }

    @Test func thresholdsCoverBothEnds() {
        let t = EvalSweep.thresholds(steps: 21)
        #expect(t.count == 22 && t.first == 0 && t[10] == 0.5 && t[20] == 1 && t.last == 1.05)
        #expect(EvalSweep.thresholds(steps: 2) == [0, 1, 1.05])
    }

    @Test func emptySetHasNoNaN() {
        let s = EvalSweep(cases: [], thresholds: [0, 1.05])
        #expect(s.localSuccess == 0 && s.points.allSatisfy { $0.escalationShare == 0 && $0.routedSuccess == 0 })
    }

    @Test func difficultyIsTheRoutersFromTheInputOnly() throws {
        let line = #"{"id": "%@", "kind": "%@", "npc": {"name": "Mara", "persona": "Innkeeper.", "knowledge": ["A room costs five silver a night.", "Stew is two copper."], "tools": [{"name": "rent_room", "parameters": {"type": "object", "properties": {}}}]}, "history": [{"player": "Evening.", "npc": "Evening."}], "player": "Who cooks the stew here?", "expect": %@}"#
        func parse(_ id: String, _ kind: String, _ expect: String) throws -> EvalCase {
            var s = line
            for v in [id, kind, expect] { if let r = s.range(of: "%@") { s.replaceSubrange(r, with: v) } }
            return try EvalCase.parse(line: s, location: "t")
        }
        let a = try parse("a-reasoning", "reasoning", #"{"all_of": [["12"]]}"#)
        let b = try parse("b", "chitchat", #"{"tool": null}"#)
        let router = TurnDifficulty(RouteRequest(npcName: "Mara", policy: .auto, line: "Who cooks the stew here?",
                                                 historyExchanges: 1, toolCount: 1, knowledgeLines: 2, remoteAvailable: true))
        #expect(EvalSweep.difficulty(a.input) == router.score && router.score > 0)
        #expect(EvalSweep.difficulty(b.input) == EvalSweep.difficulty(a.input))
    }

    @Test func jsonAndTable() {
        let s = EvalSweep(cases: cases, thresholds: [0.5, 1.05])
        #expect(s.json == .array([
            .object([("threshold", .number(0.5)), ("escalation_share", .number(0.5)), ("routed_success", .number(1)),
                     ("random_success", .number(0.625)), ("difference", .number(0.375))]),
            .object([("threshold", .number(1.05)), ("escalation_share", .number(0)), ("routed_success", .number(0.5)),
                     ("random_success", .number(0.5)), ("difference", .number(0))]),
        ]))
        #expect(s.bestJSON["threshold"] == .number(0.5) && s.bestJSON["routed_to_remote_ratio"] == .number(1.3333))
        let rows = s.table.split(separator: "\n")
        #expect(rows.count == 3)
        #expect(rows[1] == "     0.50     50.0%    100.0%     62.5%    +37.5%")
    }

    @Test func fixedDecimals() {
        #expect(String(fixed: 1.05, decimals: 2) == "1.05")
        #expect(String(fixed: 0, decimals: 2) == "0.00")
        #expect(String(fixed: -0.25, decimals: 2) == "-0.25")
        #expect(String(fixed: -0.001, decimals: 2) == "0.00")
        #expect(String(fixed: 40, decimals: 0) == "40")
        #expect(String(percent: 0.625) == "62.5%")
    }
}
