import Kernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A persistent pool: `run` hands one job to every participant (the caller is
/// participant 0) and returns when all are done. Created once per runtime; no
/// thread is created per token. Workers spin briefly for the next job (decode
/// dispatches hundreds of jobs per token), then sleep so an idle game pays nothing.
public final class ThreadPool: @unchecked Sendable {
    public let count: Int
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private var threads: [pthread_t] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Spin iterations before a worker sleeps (~50–100 µs).
    private let spinLimit = 20_000

    /// - Parameter count: participants including the caller; at least 1.
    public init(count: Int) {
        self.count = max(1, count)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for index in 1..<self.count {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            if pthread_create(&thread, nil, { raw in
                let ctx = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                ctx.pool.workerLoop(index: ctx.index)
                return nil
            }, context) == 0 {
                threads.append(thread)
            } else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
            }
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        for t in threads { pthread_join(t, nil) }
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    /// Number of participants actually running (threads that failed to start are absent).
    public var activeCount: Int { threads.count + 1 }

    /// Runs `body(participant)` for participant in 0..<activeCount, in parallel; returns when all finish.
    public func run(_ body: (Int) -> Void) {
        let n = activeCount
        if n == 1 { body(0); return }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            remaining.store(n - 1, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            escaping(0)
            while remaining.load(ordering: .acquiring) > 0 { spinPause() }
            job = nil
        }
    }

    /// Splits 0..<total into contiguous chunks, one per participant; each index is
    /// handled by exactly one thread, so results never depend on the thread count.
    public func parallelFor(_ total: Int, _ body: (Range<Int>) -> Void) {
        let n = min(activeCount, max(1, total))
        if n == 1 { if total > 0 { body(0..<total) }; return }
        run { p in
            guard p < n else { return }
            let lo = total * p / n, hi = total * (p + 1) / n
            if lo < hi { body(lo..<hi) }
        }
    }

    private func workerLoop(index: Int) {
        var seen = generation.load(ordering: .acquiring)
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < spinLimit { spinPause(); continue }
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    pthread_cond_wait(wake, mutex)
                }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            job?(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    @inline(__always) private func spinPause() { pk_cpu_relax() }
}

private final class WorkerContext {
    let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) { self.pool = pool; self.index = index }
}
