/// A bounded multi-producer, single-consumer queue of events. Producers (worker
/// threads) never block on the game here: `push` reports a full queue, and the
/// voice worker watches `queuedSamples` to wait before adding more audio.
public final class EventQueue: @unchecked Sendable {
    public let capacity: Int
    private let lock = Lock()
    private var items: [RuntimeEvent] = []
    private var head = 0
    private var samples = 0
    private let epochMs: Double

    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
        epochMs = monotonicMs()
    }

    /// Milliseconds since the queue (the runtime) was created.
    public func now() -> Double { monotonicMs() - epochMs }

    /// Adds an event, stamping its time. Returns false if the queue is full.
    /// TEXT, AUDIO and VISEME (the stream) are dropped at `capacity`; the events that
    /// keep a game's state right (ROUTE, TOOL_CALL, ERROR, DONE: a few per turn, and
    /// turns are bounded) have a reserve of another `capacity`, so a game that fell
    /// behind still sees every turn end and every call it must answer.
    @discardableResult
    public func push(_ event: RuntimeEvent) -> Bool {
        var e = event
        e.timeMs = now()
        let limit = Self.isStream(e.kind) ? capacity : 2 * capacity
        return lock.withLock {
            guard items.count - head < limit else { return false }
            items.append(e)
            samples += e.samples.count
            return true
        }
    }

    /// The next event, or nil when none is pending. Never blocks on producers for long.
    public func poll() -> RuntimeEvent? {
        lock.withLock {
            guard head < items.count else { return nil }
            let e = items[head]
            head += 1
            samples -= e.samples.count
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
            else if head > 1024 && head * 2 > items.count { items.removeFirst(head); head = 0 }
            return e
        }
    }

    public var count: Int { lock.withLock { items.count - head } }

    static func isStream(_ kind: RuntimeEvent.Kind) -> Bool { kind == .text || kind == .audio || kind == .viseme }

    /// Audio samples waiting in the queue.
    public var queuedSamples: Int { lock.withLock { samples } }

    public func clear() { lock.withLock { items.removeAll(); head = 0; samples = 0 } }
}
