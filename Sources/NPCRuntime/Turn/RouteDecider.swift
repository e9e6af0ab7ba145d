/// Where a reply comes from. `bridge`: a short opening spoken at once while the
/// remote model starts, which then continues from it.
/// `authored`: a designer's exact line for the player's, spoken without inference
/// (decided by the runtime before any router is asked).
public enum Route: String, Sendable { case local, remote, bridge, authored }

/// What a router may look at for one turn: the designer's policy and the
/// turn's shape, never an evaluation's labels.
public struct RouteRequest: Sendable {
    public var npcName: String
    public var policy: RoutingPolicy
    public var line: String
    /// Exchanges already in the conversation.
    public var historyExchanges: Int
    /// Tools the NPC may call this turn.
    public var toolCount: Int
    /// Lines of lore the NPC knows (facts a reply may have to pick from).
    public var knowledgeLines: Int
    /// The lore itself, so a router can tell a question about it from one beyond it.
    public var knowledge: [String]
    public var remoteAvailable: Bool
    public init(npcName: String, policy: RoutingPolicy, line: String, historyExchanges: Int, toolCount: Int,
                knowledgeLines: Int = 0, knowledge: [String] = [], remoteAvailable: Bool) {
        self.npcName = npcName
        self.policy = policy
        self.line = line
        self.historyExchanges = historyExchanges
        self.toolCount = toolCount
        self.knowledgeLines = max(knowledgeLines, knowledge.count)
        self.knowledge = knowledge
        self.remoteAvailable = remoteAvailable
    }
}

public struct RouteDecision: Sendable, Equatable {
    public var route: Route
    public var reasons: [String]
    /// Estimated cost of the turn in USD (0 for local).
    public var cost: Double
    /// Expected ms to the reply's first text on this route, when the router knows.
    public var latencyMs: Double?
    public init(route: Route, reasons: [String], cost: Double = 0, latencyMs: Double? = nil) {
        self.route = route
        self.reasons = reasons
        self.cost = cost
        self.latencyMs = latencyMs
    }

    /// The ROUTE event's payload: route, reasons, cost (USD), latency_ms (or null).
    public var json: String {
        JSONValue.object([("route", .string(route.rawValue)), ("reasons", .array(reasons.map { .string($0) })),
                          ("cost", .number(cost)), ("latency_ms", latencyMs.map { .number(($0 * 10).rounded() / 10) } ?? .null)]).serialized
    }
}

/// Chooses a route per turn. Implementations live in ComputeRouter and are
/// injected where the runtime is built (C API, CLI, tests).
public protocol RouteDecider: Sendable {
    func decide(_ request: RouteRequest) -> RouteDecision
}
