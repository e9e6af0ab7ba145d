import Kernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A persistent pool for the forward passes. `run(chunks:)` publishes a job of
/// numbered chunks; the caller and any awake worker claim chunks until none are
/// left. The caller never waits for a worker to *start*, only for chunks already
/// claimed to finish — so a worker descheduled by the game's own threads costs
/// nothing but its share of the parallelism. Workers spin briefly between jobs
/// (decode issues hundreds per token), then sleep, so an idle game pays nothing.
/// Results never depend on which thread ran a chunk.
public final class ThreadPool: @unchecked Sendable {
    /// Threads including the caller.
    public let count: Int
    private let core: Core
    private var threads: [pthread_t] = []

    public init(count: Int) {
        self.count = max(1, count)
        core = Core()
        for index in 1..<self.count {
            // The worker owns one reference to the core (not to the pool, so the
            // pool's deinit can stop and join it).
            let context = Unmanaged.passRetained(WorkerStart(core: core, index: index)).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                let start = Unmanaged<WorkerStart>.fromOpaque(raw).takeRetainedValue()
                start.core.workerLoop(index: start.index)
                return nil
            }, context)
            if started == 0 { threads.append(thread) } else { Unmanaged<WorkerStart>.fromOpaque(context).release() }
        }
    }

    deinit {
        core.stop()
        for t in threads { pthread_join(t, nil) }
    }

    /// Threads that can work (the caller plus workers that started).
    public var activeCount: Int { threads.count + 1 }

    /// Runs `body(chunk, thread)` for every chunk in 0..<chunks; `thread` (0..<activeCount,
    /// the caller is 0) indexes per-thread scratch. Returns when all chunks are done.
    public func run(chunks: Int, _ body: (_ chunk: Int, _ thread: Int) -> Void) {
        guard chunks > 0 else { return }
        if threads.isEmpty || chunks == 1 {
            for c in 0..<chunks { body(c, 0) }
            return
        }
        var start = 0
        while start < chunks {  // more chunks than the claim word holds: run them in rounds
            let n = min(Core.maxChunks - 1, chunks - start), base = start
            core.run(chunks: n) { c, t in body(base + c, t) }
            start += n
        }
    }

    /// Splits 0..<total into contiguous ranges (a few per thread) and runs them in parallel.
    public func parallelFor(_ total: Int, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let chunks = min(total, activeCount * 4)
        run(chunks: chunks) { c, _ in
            let lo = total * c / chunks, hi = total * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

private final class WorkerStart {
    let core: Core
    let index: Int
    init(core: Core, index: Int) { self.core = core; self.index = index }
}

/// The shared state workers loop on.
private final class Core: @unchecked Sendable {
    /// generation (24 bits) | chunk count (20) | next unclaimed chunk (20): one word,
    /// so a late worker can never claim a chunk of a job that has ended, nor read a
    /// count that belongs to the next one.
    private let claim = Atomic<UInt64>(0)
    static let maxChunks = 1 << 20
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int, Int) -> Void)?
    private var generation: UInt64 = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let spinLimit = 20_000  // ~50–100 µs of PAUSE before sleeping

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        claim.add(1 << 40, ordering: .sequentiallyConsistent)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    func run(chunks: Int, _ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            finished.store(0, ordering: .relaxed)
            generation &+= 1
            let gen = generation & 0xFF_FFFF
            claim.store(gen << 40 | UInt64(chunks) << 20, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            work(generation: gen, thread: 0)
            var spins = 0
            while finished.load(ordering: .acquiring) < chunks {
                spins += 1
                if spins < spinLimit { pk_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    /// Claims and runs chunks of job `gen` until none are left (or the job changed).
    private func work(generation gen: UInt64, thread: Int) {
        while true {
            let word = claim.load(ordering: .acquiring)
            let next = Int(word & 0xF_FFFF), count = Int(word >> 20 & 0xF_FFFF)
            guard word >> 40 == gen, next < count else { return }
            let (ok, _) = claim.compareExchange(expected: word, desired: word + 1, ordering: .acquiringAndReleasing)
            guard ok else { continue }
            job?(next, thread)
            finished.add(1, ordering: .releasing)
        }
    }

    func workerLoop(index: Int) {
        var seen = claim.load(ordering: .acquiring) >> 40
        while !stopping.load(ordering: .relaxed) {
            var spins = 0
            while claim.load(ordering: .acquiring) >> 40 == seen {
                spins += 1
                if spins < spinLimit { pk_cpu_relax(); continue }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while claim.load(ordering: .sequentiallyConsistent) >> 40 == seen {
                    pthread_cond_wait(wake, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = claim.load(ordering: .acquiring) >> 40
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            work(generation: seen, thread: index)
        }
    }
}
