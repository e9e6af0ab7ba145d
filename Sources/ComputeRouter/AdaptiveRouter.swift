import NPCRuntime

/// The router's knobs; the game (or `parley eval --sweep`) sets them.
public struct RouterConfig: Sendable {
    /// Auto turns whose expected gain (`TurnDifficulty`) is at least this go to
    /// the remote model (0: every turn it may take, above 1: none). 0.25 escalated
    /// 37.5% of eval/router's turns (BENCHMARKS.md).
    public var threshold = 0.25
    /// Remote tokens per session (runtime) before every turn stays local; 0: no limit.
    public var sessionTokenBudget = 0
    /// Remote tokens per rolling minute; 0: no limit.
    public var tokensPerMinute = 0
    /// Turns whose remote reply is expected to start later than this stay local; 0: no limit.
    public var latencyBudgetMs = 0.0
    /// Escalated turns are bridged (a short local opening spoken while the remote
    /// starts) once the remote's typical wait for its first byte reaches this; 0: never.
    public var bridgeAfterMs = 1_500.0
    public init() {}

    public func validate() throws(RuntimeError) {
        guard threshold.isFinite, (0...2).contains(threshold) else {
            throw RuntimeError(.invalidArgument, "router threshold \(threshold) is outside 0...2")
        }
        guard (0...1_000_000_000).contains(sessionTokenBudget), (0...100_000_000).contains(tokensPerMinute) else {
            throw RuntimeError(.invalidArgument, "router token budgets must be in 0...1e9 (session) and 0...1e8 (per minute)")
        }
        guard latencyBudgetMs.isFinite, (0...600_000).contains(latencyBudgetMs) else {
            throw RuntimeError(.invalidArgument, "router latency budget \(latencyBudgetMs) ms is outside 0...600000")
        }
        guard bridgeAfterMs.isFinite, (0...600_000).contains(bridgeAfterMs) else {
            throw RuntimeError(.invalidArgument, "router bridge wait \(bridgeAfterMs) ms is outside 0...600000")
        }
    }
}

/// Decides per turn: the designer's policy first, then the remote's health,
/// the token budgets and the latency budget, then what the turn needs
/// (`TurnDifficulty`) against the threshold. Every decision carries its
/// reasons, the expected cost in USD and the expected wait.
public struct AdaptiveRouter: RouteDecider {
    public let config: RouterConfig
    private let remote: RemoteReplySource?
    /// A typical remote turn (persona, lore and history in; a few sentences out), for the cost estimate.
    static let typicalPromptTokens = 510
    static let typicalCompletionTokens = 90

    public init(config: RouterConfig = RouterConfig(), remote: RemoteReplySource?) throws(RuntimeError) {
        try config.validate()
        self.config = config
        self.remote = remote
    }

    public func decide(_ request: RouteRequest) -> RouteDecision {
        let difficulty = TurnDifficulty(request)
        let estimate = remoteEstimate()
        func local(_ reasons: [String]) -> RouteDecision { RouteDecision(route: .local, reasons: reasons) }
        func remote(_ reasons: [String]) -> RouteDecision {
            RouteDecision(route: .remote, reasons: reasons, cost: estimate.usd, latencyMs: estimate.latencyMs)
        }
        if request.policy == .local { return local(["designer policy: local"]) }
        guard request.remoteAvailable, let source = self.remote else {
            return local(["\(request.policy == .remote ? "designer policy: remote" : "auto"), but the remote model is unavailable"])
        }
        if config.sessionTokenBudget > 0, source.spent.tokens >= config.sessionTokenBudget {
            return local(["session budget spent: \(source.spent.tokens) of \(config.sessionTokenBudget) remote tokens"])
        }
        if config.tokensPerMinute > 0, case let used = source.tokens(inLastMs: 60_000), used >= config.tokensPerMinute {
            return local(["minute budget spent: \(used) of \(config.tokensPerMinute) remote tokens"])
        }
        if request.policy == .remote { return remote(["designer policy: remote"]) }
        if config.latencyBudgetMs > 0, let wait = estimate.latencyMs, wait > config.latencyBudgetMs {
            return local(["remote replies start after ~\(Int(wait)) ms, over the \(Int(config.latencyBudgetMs)) ms budget"])
        }
        let summary = "difficulty \(String(fixed: difficulty.score, decimals: 2))"
            + (difficulty.cues.isEmpty ? "" : " (\(difficulty.cues.joined(separator: ", ")))")
        let threshold = String(fixed: config.threshold, decimals: 2)
        guard difficulty.score >= config.threshold else { return local([summary + " < " + threshold]) }
        var decision = remote([summary + " ≥ " + threshold])
        // an opening covers a slow remote, but not a turn that acts: the remote decides that from its first word
        if config.bridgeAfterMs > 0, let wait = estimate.latencyMs, wait >= config.bridgeAfterMs,
           !difficulty.cues.contains("asks the NPC to act") {
            decision.route = .bridge
            decision.reasons.append("bridge: the remote's replies start after ~\(Int(wait)) ms")
        }
        return decision
    }

    private func remoteEstimate() -> (usd: Double, latencyMs: Double?) {
        guard let remote else { return (0, nil) }
        let usd = remote.config.cost(promptTokens: Self.typicalPromptTokens, completionTokens: Self.typicalCompletionTokens)
        return (usd, remote.typicalFirstByteMs)
    }
}
