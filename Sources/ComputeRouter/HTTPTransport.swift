#if canImport(Glibc)
import Glibc
#endif
import NPCRuntime

/// One HTTP POST whose response is read as it arrives.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Sent as given; values are never logged (one of them may be an API key).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var connectTimeoutMs: Int
    /// Hard limit on the whole exchange, whatever else happens.
    public var totalTimeoutMs: Int
    public init(url: String, headers: [(name: String, value: String)], body: [UInt8],
                connectTimeoutMs: Int, totalTimeoutMs: Int) {
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeoutMs = connectTimeoutMs
        self.totalTimeoutMs = totalTimeoutMs
    }
}

/// Why an exchange failed below HTTP. `connect` failures never reached the
/// server, so a retry cannot repeat work it did.
public struct TransportFailure: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case connect, timeout, broken }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// What reading a response yields, in order: the status once (before any body
/// byte), body bytes, then `end` or `failed`.
public enum HTTPStreamEvent: Sendable, Equatable {
    case status(Int)
    case bytes([UInt8])
    case end
    case failed(TransportFailure)
    /// Nothing arrived within the wait; the exchange is still open.
    case idle
}

/// A response being read. Pulled by one thread; `close` releases the
/// connection at once (a cancelled turn leaves no socket behind).
public protocol HTTPExchange: AnyObject {
    /// Waits at most `timeoutMs` for the next event.
    func next(timeoutMs: Int) -> HTTPStreamEvent
    /// Lets the transfer progress without waiting (sends the request while the
    /// caller does other work).
    func pump()
    func close()
}

/// Opens exchanges: libcurl in the product, scripted fakes in tests.
public protocol HTTPTransport: Sendable {
    func open(_ request: HTTPRequest) -> any HTTPExchange
}

/// The time source of the router, the remote client's retries and its circuit
/// breaker; tests inject a manual one.
public protocol RouterClock: Sendable {
    func nowMs() -> Double
    func sleep(ms: Double)
}

public struct SystemClock: RouterClock {
    public init() {}
    public func nowMs() -> Double { monotonicMs() }
    public func sleep(ms: Double) {
        guard ms > 0 else { return }
        var ts = timespec(tv_sec: Int(ms / 1000), tv_nsec: Int(ms.truncatingRemainder(dividingBy: 1000) * 1_000_000))
        nanosleep(&ts, nil)
    }
}
