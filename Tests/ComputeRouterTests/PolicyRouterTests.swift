import Testing
import NPCRuntime
@testable import ComputeRouter

@Suite struct PolicyRouterTests {
    func request(_ policy: RoutingPolicy, remote: Bool) -> RouteRequest {
        RouteRequest(npcName: "Mara", policy: policy, line: "Hello", historyExchanges: 0, toolCount: 0, remoteAvailable: remote)
    }

    @Test func obeysTheDesignerWhenItCan() {
        let r = PolicyRouter()
        #expect(r.decide(request(.local, remote: true)).route == .local)
        #expect(r.decide(request(.remote, remote: true)).route == .remote)
        let fallback = r.decide(request(.remote, remote: false))
        #expect(fallback.route == .local && fallback.reasons == ["designer policy: remote, but the remote model is unavailable"])
        #expect(r.decide(request(.auto, remote: false)).route == .local)
    }

    @Test func decisionJSONNamesRouteReasonsAndCost() throws {
        let json = try JSONParser.parse(PolicyRouter().decide(request(.local, remote: false)).json)
        #expect(json["route"]?.stringValue == "local")
        #expect(json["reasons"] == .array([.string("designer policy: local")]))
        #expect(json["cost"] == .number(0))
    }
}
