import ArgumentParser
import Foundation
import ComputeRouter
import NPCRuntime

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run conversation eval sets (shared EVAL-FORMAT.md): success, tool calls, red-team authorisation.")

    /// Qwen2.5-0.5B by measurement on eval/talk (BENCHMARKS.md); SmolLM2 stays supported (--local).
    @Option(help: "GGUF dialogue model (path or bare name)") var local = Play.defaultModel
    @Option(help: "OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1") var remote: String?
    @Option(help: "Model name for the remote server") var remoteModel: String?
    @Option(help: "Router threshold: routed turns at least this difficult go remote (0...2)") var threshold = RouterConfig().threshold
    @Option(help: "Remote price, USD per million input tokens") var priceIn = 0.15
    @Option(help: "Remote price, USD per million output tokens") var priceOut = 0.60
    @Option(help: "Player lines per hour of play, for cost per hour") var turnsPerHour = 120.0
    @Option(help: "Seconds before an unanswered remote reply falls back to local") var remoteTimeout = 30.0
    @Option(help: "Piper voice .onnx (path or bare name); without it the turns are text only") var voice: String?
    @Option(help: "local, remote, routed or all (default: all with --remote, else local)") var mode: String?
    @Option(help: "Seed") var seed: UInt64 = 0
    @Option(help: "Threads") var threads: Int = 0
    @Flag(help: "Print one JSON object at the end") var json = false
    @Flag(help: "Print the router's cues and score per case (one JSON line each) without running any turn; for scripts/train-router.py --cues")
    var routeCues = false
    @Option(help: "Write one JSON line per case and mode") var casesOut: String?
    @Option(help: ArgumentHelp("Sweep router thresholds and write a PNG plot of success against escalation share "
                               + "(needs --remote; runs local-only and remote-only; routed success at each threshold is "
                               + "computed from the per-case outcomes of the local-only and remote-only runs)",
                               valueName: "FILE.png")) var sweep: String?
    @Option(help: "Thresholds evenly spaced over 0...1 for --sweep (one more, 1.05, escalates none)") var sweepSteps = 21
    @Argument(help: "Eval sets (JSONL)") var sets: [String]

    func validate() throws {
        guard !sets.isEmpty else { throw ValidationError("give at least one SET.jsonl") }
        let m = mode ?? (remote == nil ? "local" : "all")
        guard ["local", "remote", "routed", "all"].contains(m) else {
            throw ValidationError("--mode must be local, remote, routed or all")
        }
        if m != "local" && remote == nil { throw ValidationError("--mode \(m) needs --remote") }
        guard priceIn >= 0, priceOut >= 0, turnsPerHour > 0, turnsPerHour <= 10_000 else {
            throw ValidationError("prices must be ≥ 0 and --turns-per-hour in (0, 10000]")
        }
        guard remoteTimeout > 0, remoteTimeout <= 300 else { throw ValidationError("--remote-timeout must be in (0, 300] seconds") }
        if sweep != nil {
            guard remote != nil else { throw ValidationError("--sweep needs --remote (it runs local-only and remote-only)") }
            guard mode == nil else { throw ValidationError("--sweep runs the local and remote modes itself; drop --mode") }
        }
        guard (2...1001).contains(sweepSteps) else { throw ValidationError("--sweep-steps must be in 2...1001") }
    }

    func run() throws {
        if let path = sweep {
            // Fail now rather than after every case has run.
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: dir) else { throw CLIFailure("--sweep: cannot write in \(dir)") }
        }
        var cases: [EvalCase] = []
        for path in sets {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw CLIFailure("cannot read \(path)") }
            do { cases += try EvalCase.load(path: path, text: text) } catch { throw CLIFailure("\(error)") }
        }
        if routeCues {
            for c in cases {
                let d = TurnDifficulty(EvalSweep.routeRequest(c.input))
                print(JSONValue.object([("id", .string(c.id)), ("route_cues", .array(d.cues.map { .string($0) })),
                                        ("score", .number(EvalSweep.round(d.score)))]).serialized)
            }
            return
        }
        let m = mode ?? (remote == nil ? "local" : "all")
        // --sweep needs no routed run: its routed curve comes from the local-only and remote-only outcomes.
        let modes = sweep != nil ? ["local", "remote"] : m == "all" ? ["local", "remote", "routed"] : [m]

        var config = RuntimeConfig(modelPath: try resolveModel(local), voicePath: voice)
        config.threads = threads
        config.seed = seed
        let runtime: Runtime
        let remoteSource: RemoteReplySource?
        do {
            remoteSource = try remote.map { url throws(RuntimeError) in
                var c = RemoteConfig(baseURL: url, model: remoteModel ?? "default")
                c.usdPerMillionInputTokens = priceIn
                c.usdPerMillionOutputTokens = priceOut
                c.firstByteTimeoutMs = Int(remoteTimeout * 1000)
                c.totalTimeoutMs = max(c.totalTimeoutMs, Int(remoteTimeout * 2000))
                return try RemoteReplySource(config: c, seed: seed)
            }
            var routing = RouterConfig()
            routing.threshold = threshold
            runtime = try Runtime(config: config, router: try AdaptiveRouter(config: routing, remote: remoteSource), remote: remoteSource)
        } catch { throw CLIFailure(error.message) }
        defer { runtime.shutdown() }
        while runtime.events.poll() != nil {}  // load-time notices

        let out = try casesOut.map { try TraceWriter(path: $0) }
        var rows: [EvalRow] = []
        for mode in modes {
            let runner = EvalRunner(runtime: runtime, mode: mode, remoteSpent: remoteSource.map { s in { s.spent } })
            for (i, c) in cases.enumerated() {
                let run = runner.run(c.input)
                let row = EvalRow(id: c.id, kind: c.kind, expect: c.expect, run: run,
                                  score: EvalScoring.score(c.expect, guards: c.input.guards, run: run))
                rows.append(row)
                out?.handle.write(Data((EvalReport.caseLine(row).serialized + "\n").utf8))
                let mark = row.score.success ? "ok  " : "FAIL"
                let progress = "[\(mode) \(i + 1)/\(cases.count)] \(mark) \(c.id)"
                    + (row.score.success ? "" : ": " + row.score.failures.joined(separator: "; "))
                if json {  // stdout carries only the JSON object
                    FileHandle.standardError.write(Data((progress + "\n").utf8))
                } else {
                    print(progress)
                    fflush(nil)
                }
            }
        }
        var report = EvalReport(cases: cases.count, rows: rows, modes: modes)
        if remoteSource != nil { report.pricing = (priceIn, priceOut, turnsPerHour) }
        let sweepResult = try sweep.map { path in try runSweep(cases: cases, rows: rows, path: path) }
        if json {
            var object = report.json
            if let sweepResult, case let .object(members) = object {
                object = .object(members + [("sweep", sweepResult.json), ("sweep_best_at_most_half_escalated", sweepResult.bestJSON),
                                            ("sweep_method", .string(EvalSweep.method))])
            }
            print(object.serialized)
        } else {
            printSummary(report)
            if let sweepResult, let path = sweep { printSweep(sweepResult, path: path) }
        }
    }

    /// The sweep over thresholds, from each case's local-only and remote-only rows (matched by
    /// position: ids are unique only within a file); writes the plot to `path`.
    private func runSweep(cases: [EvalCase], rows: [EvalRow], path: String) throws -> EvalSweep {
        let local = rows.filter { $0.run.mode == "local" }
        let remote = rows.filter { $0.run.mode == "remote" }
        guard local.count == cases.count, remote.count == cases.count else {
            throw CLIFailure("--sweep: expected \(cases.count) local and remote rows, got \(local.count) and \(remote.count)")
        }
        let sweepCases = cases.indices.map { i in
            // The router's view: the case's input only.
            EvalSweep.Case(difficulty: EvalSweep.difficulty(cases[i].input),
                           localSuccess: local[i].score.success, remoteSuccess: remote[i].score.success)
        }
        let result = EvalSweep(cases: sweepCases, thresholds: EvalSweep.thresholds(steps: sweepSteps))
        let image = SweepPlot.draw(result, cases: cases.count)
        do {
            let png = try PNGWriter.encode(width: image.width, height: image.height, rgb: image.rgb)
            try Data(png).write(to: URL(fileURLWithPath: path))
        } catch {
            throw CLIFailure("--sweep: cannot write \(path): \(error)")
        }
        return result
    }

    private func printSweep(_ s: EvalSweep, path: String) {
        print("\nrouter threshold sweep (\(s.points.count) thresholds); plot: \(path)")
        print(EvalSweep.method)
        print("local only \(String(percent: s.localSuccess)), remote only \(String(percent: s.remoteSuccess))")
        print(s.table)
        if let b = s.best() {
            let ratio = s.ratioToRemote(b).map { String(fixed: $0, decimals: 3) } ?? "—"
            print("best with escalation ≤ 50%: threshold \(String(fixed: b.threshold, decimals: 2)), "
                  + "escalated \(String(percent: b.escalationShare)), routed \(String(percent: b.routedSuccess)) "
                  + "(random \(String(percent: b.randomSuccess))), routed/remote \(ratio)")
        } else {
            print("best with escalation ≤ 50%: none (every threshold escalates more than half)")
        }
    }

    private func printSummary(_ r: EvalReport) {
        func pct(_ v: Double?) -> String { v.map { String(format: "%5.1f%%", $0 * 100) } ?? "    —" }
        print("\n\(r.cases) cases, modes: \(r.modes.joined(separator: ", "))")
        print("kind        cases   local  remote  routed")
        for kind in r.kinds {
            let n = Set(r.rows.filter { $0.kind == kind }.map(\.id)).count
            print(kind.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "  %5d", n)
                  + "  \(pct(r.successRate("local", kind: kind)))  \(pct(r.successRate("remote", kind: kind)))  \(pct(r.successRate("routed", kind: kind)))")
        }
        print("all       " + String(format: "  %5d", r.cases)
              + "  \(pct(r.successRate("local")))  \(pct(r.successRate("remote")))  \(pct(r.successRate("routed")))")
        print("calls (\(r.primaryMode)): valid \(pct(r.validCallRate)), correct \(pct(r.correctCallRate)), false \(pct(r.falseCallRate))")
        print("red team: \(r.redteamAttempts) attempts, \(r.unauthorised) unauthorised executions")
        let p50 = ["local", "remote", "routed"].compactMap { m in r.latencyP50(m).map { String(format: "%@ %.0f ms", m, $0) } }
        print("latency p50 (first text): " + (p50.isEmpty ? "—" : p50.joined(separator: ", ")))
        if let e = r.escalationShare { print("escalated: \(pct(e))") }
        for m in ["remote", "routed"] {
            if let c = r.costPerHour(m), let p = r.pricing {
                print(String(format: "%@: $%.4f per hour of play (%.0f lines/h at $%.2f/$%.2f per M tokens in/out)",
                             m, c, p.turnsPerHour, p.inputPerMTok, p.outputPerMTok))
            }
        }
    }
}
