import NPCRuntime

/// Routes by the designer's policy alone: `local` and `remote` are obeyed when
/// they can be, `auto` stays local. The adaptive router builds on this; every
/// decision says why, in the ROUTE event.
public struct PolicyRouter: RouteDecider {
    public init() {}

    public func decide(_ request: RouteRequest) -> RouteDecision {
        switch request.policy {
        case .local:
            return RouteDecision(route: .local, reasons: ["designer policy: local"])
        case .remote where request.remoteAvailable:
            return RouteDecision(route: .remote, reasons: ["designer policy: remote"])
        case .remote:
            return RouteDecision(route: .local, reasons: ["designer policy: remote, but the remote model is unavailable"])
        case .auto:
            let why = request.remoteAvailable ? "auto: the local model answers by default" : "auto: the remote model is unavailable"
            return RouteDecision(route: .local, reasons: [why])
        }
    }
}
