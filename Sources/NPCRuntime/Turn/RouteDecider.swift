/// Where a reply comes from.
public enum Route: String, Sendable { case local, remote }

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
    public var remoteAvailable: Bool
    public init(npcName: String, policy: RoutingPolicy, line: String, historyExchanges: Int, toolCount: Int,
                remoteAvailable: Bool) {
        self.npcName = npcName
        self.policy = policy
        self.line = line
        self.historyExchanges = historyExchanges
        self.toolCount = toolCount
        self.remoteAvailable = remoteAvailable
    }
}

public struct RouteDecision: Sendable, Equatable {
    public var route: Route
    public var reasons: [String]
    /// Estimated cost of the turn in the router's unit (0 for local).
    public var cost: Double
    public init(route: Route, reasons: [String], cost: Double = 0) {
        self.route = route
        self.reasons = reasons
        self.cost = cost
    }

    /// The ROUTE event's payload.
    public var json: String {
        JSONValue.object([("route", .string(route.rawValue)), ("reasons", .array(reasons.map { .string($0) })),
                          ("cost", .number(cost))]).serialized
    }
}

/// Chooses a route per turn. Implementations live in ComputeRouter and are
/// injected where the runtime is built (C API, CLI, tests).
public protocol RouteDecider: Sendable {
    func decide(_ request: RouteRequest) -> RouteDecision
}
