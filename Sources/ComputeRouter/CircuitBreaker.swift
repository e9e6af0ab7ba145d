import NPCRuntime

/// Stops sending turns to a remote that keeps failing: after `failureThreshold`
/// failures in a row it opens for `cooldownMs`, then lets one trial through
/// (half-open); a success closes it, a failure opens it again.
public final class CircuitBreaker: @unchecked Sendable {
    public enum State: Equatable, Sendable { case closed, open, halfOpen }

    public let failureThreshold: Int
    public let cooldownMs: Double
    private let clock: any RouterClock
    private let lock = Lock()
    private var failures = 0
    private var openedAtMs: Double?
    private var trialInFlight = false

    public init(failureThreshold: Int, cooldownMs: Double, clock: any RouterClock) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldownMs = max(0, cooldownMs)
        self.clock = clock
    }

    public var state: State {
        lock.withLock {
            guard let openedAtMs else { return .closed }
            return clock.nowMs() - openedAtMs >= cooldownMs && !trialInFlight ? .halfOpen : .open
        }
    }

    /// Whether a router may pick the remote now (no state change).
    public var isAvailable: Bool { state != .open }

    /// Takes permission for one request: always when closed, once per cooldown when open.
    public func allowRequest() -> Bool {
        lock.withLock {
            guard let openedAtMs else { return true }
            guard clock.nowMs() - openedAtMs >= cooldownMs, !trialInFlight else { return false }
            trialInFlight = true
            return true
        }
    }

    public func recordSuccess() {
        lock.withLock {
            failures = 0
            openedAtMs = nil
            trialInFlight = false
        }
    }

    public func recordFailure() {
        lock.withLock {
            failures += 1
            if trialInFlight || failures >= failureThreshold { openedAtMs = clock.nowMs() }
            trialInFlight = false
        }
    }

    /// Consecutive failures so far (for the ROUTE event's reasons).
    public var consecutiveFailures: Int { lock.withLock { failures } }
}
