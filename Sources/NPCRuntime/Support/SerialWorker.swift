#if canImport(Glibc)
import Glibc
#endif

/// One thread running jobs in the order they were queued. The runtime has one
/// for the dialogue model and one for the voice, so a sentence is spoken while
/// the model writes the next. The queue is bounded; `stop` drains nothing and joins.
public final class SerialWorker: @unchecked Sendable {
    public let capacity: Int
    private let core: Core
    private var thread = pthread_t()
    private var started = false

    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
        core = Core()
        let context = Unmanaged.passRetained(core).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Core>.fromOpaque(raw).takeRetainedValue().loop()
            return nil
        }, context) == 0
        if !started { Unmanaged<Core>.fromOpaque(context).release() }
    }

    deinit { stop() }

    /// Queues a job; false if the worker is stopped or the queue is full.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        guard started else { return false }
        return core.push(job, capacity: capacity)
    }

    /// Stops after the running job; queued jobs are dropped. Idempotent.
    /// Called from a job on this worker (the owner's last reference was a job's
    /// capture), it cannot join itself: the thread is detached and ends on return.
    public func stop() {
        guard started else { return }
        started = false
        core.shutdown()
        if pthread_equal(pthread_self(), thread) != 0 {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    public var pending: Int { core.count }

    private final class Core: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private var jobs: [@Sendable () -> Void] = []
        private var stopping = false

        init() {
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(cond, nil)
        }

        deinit {
            pthread_cond_destroy(cond)
            pthread_mutex_destroy(mutex)
            cond.deallocate()
            mutex.deallocate()
        }

        var count: Int {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return jobs.count
        }

        func push(_ job: @escaping @Sendable () -> Void, capacity: Int) -> Bool {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            guard !stopping, jobs.count < capacity else { return false }
            jobs.append(job)
            pthread_cond_signal(cond)
            return true
        }

        func shutdown() {
            pthread_mutex_lock(mutex)
            stopping = true
            jobs.removeAll()
            pthread_cond_broadcast(cond)
            pthread_mutex_unlock(mutex)
        }

        func loop() {
            while true {
                pthread_mutex_lock(mutex)
                while jobs.isEmpty && !stopping { pthread_cond_wait(cond, mutex) }
                if stopping { pthread_mutex_unlock(mutex); return }
                let job = jobs.removeFirst()
                pthread_mutex_unlock(mutex)
                job()
            }
        }
    }
}
