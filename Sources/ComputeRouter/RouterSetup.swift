import NPCRuntime

/// The router and remote model a runtime is built with, from a game's settings.
/// One place for the C ABI and the Lua binding, so both build the same thing.
public struct RouterSetup {
    public let router: any RouteDecider
    /// The remote model, when one is configured (pass it as `Runtime(remote:)`).
    public let remote: RemoteReplySource?

    /// No remote: the policy router (every turn local, saying why). A remote: the
    /// adaptive router over it. `router` is validated either way, so a bad value is
    /// reported even when it would not be used yet.
    public init(remote: RemoteConfig?, router: RouterConfig, seed: UInt64 = 0) throws(RuntimeError) {
        try router.validate()
        guard let remote else {
            self.router = PolicyRouter()
            self.remote = nil
            return
        }
        let source = try RemoteReplySource(config: remote, seed: seed)
        self.router = try AdaptiveRouter(config: router, remote: source)
        self.remote = source
    }
}
