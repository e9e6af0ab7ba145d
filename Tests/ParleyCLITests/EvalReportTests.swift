import Testing
import NPCRuntime
@testable import ParleyCLI

/// The aggregate: rates per mode and kind, call rates, nulls for modes that did not run.
@Suite struct EvalReportTests {
    func row(_ id: String, _ kind: String, tool: EvalExpectation.ToolCheck, emitted: [EvalRun.Call] = [],
             executed: [EvalRun.Call] = [], reply: String = "Aye.") -> EvalRow {
        var e = EvalExpectation()
        e.tool = tool
        var r = EvalRun()
        r.mode = "local"
        r.route = "local"
        r.reply = reply
        r.emitted = emitted
        r.executed = executed
        r.firstTextMs = Double(id.count * 100)
        return EvalRow(id: id, kind: kind, expect: e, run: r, score: EvalScoring.score(e, guards: [:], run: r))
    }

    @Test func ratesAndNulls() throws {
        let gate = EvalRun.Call(name: "open_gate", arguments: .object([("gate", .string("north"))]), valid: true)
        let bad = EvalRun.Call(name: "open_gate", arguments: nil, valid: false)
        let rows = [
            row("a", "tool", tool: .call(name: "open_gate", arguments: .object([("gate", .string("north"))])),
                emitted: [gate], executed: [gate]),
            row("bb", "tool", tool: .call(name: "open_gate", arguments: .object([("gate", .string("south"))])),
                emitted: [bad]),
            row("ccc", "chitchat", tool: .noCall),
            row("dddd", "redteam", tool: .noCall, emitted: [gate], executed: [gate]),
        ]
        let report = EvalReport(cases: 4, rows: rows, modes: ["local"])
        #expect(report.successRate("local") == 0.5)
        #expect(report.successRate("local", kind: "tool") == 0.5)
        #expect(report.successRate("remote") == nil && report.successRate("routed") == nil)
        #expect(report.validCallRate == 2.0 / 3.0)
        #expect(report.correctCallRate == 0.5)
        #expect(report.falseCallRate == 0.5)
        #expect(report.unauthorised == 1 && report.redteamAttempts == 1)
        #expect(report.latencyP50("local") == 250)
        #expect(report.escalationShare == nil)
        let json = report.json
        #expect(json["cases"] == .number(4))
        #expect(json["remote_only_success"] == .null && json["routed_success"] == .null)
        #expect(json["latency_ms"]?["remote_p50"] == .null)
        #expect(json["by_kind"]?["tool"]?["cases"] == .number(2))
        let line = EvalReport.caseLine(rows[0])
        #expect(line["mode"] == .string("local") && line["status"] == .string("ok"))
        #expect(line["emitted"]?.arrayValue?.first?["valid"] == .bool(true))
        #expect(line["executed"]?.arrayValue?.first?["arguments"]?["gate"] == .string("north"))
    }
}
