#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex (the target uses no Foundation).
final class Mutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// What a started thread runs; retained across `pthread_create` by an unmanaged reference.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts a joinable thread; nil when the system refuses one.
func spawnThread(_ body: @escaping () -> Void) -> pthread_t? {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { arg in
        guard let arg else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(arg).takeRetainedValue().run()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        return nil
    }
    return tid
}

/// Socket helpers; every call tolerates a bad descriptor (it only fails).
enum Socket {
    /// POLLRDHUP (Linux): the peer closed its end; not exported by every Glibc module map.
    static let pollPeerClosed: Int16 = 0x2000

    static func setTimeout(_ fd: Int32, option: Int32, seconds: Double) {
        let s = max(0.001, seconds)
        var tv = timeval(tv_sec: Int(s), tv_usec: Int((s - Double(Int(s))) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    static func setFlag(_ fd: Int32, level: Int32, option: Int32, _ on: Bool = true) {
        var v: Int32 = on ? 1 : 0
        _ = setsockopt(fd, level, option, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends every byte (MSG_NOSIGNAL: a vanished peer is an error, never SIGPIPE).
    /// False on any failure, including a send timeout.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return -1 }
                return send(fd, base + offset, buf.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Up to `max` bytes; nil on timeout or error, [] when the peer closed.
    static func receive(_ fd: Int32, max: Int) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            let n = chunk.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return -1 }
                return recv(fd, base, buf.count, 0)
            }
            if n >= 0 { return Array(chunk.prefix(n)) }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// Half-closes, then reads and discards what the client still sends (up to
    /// `limit` bytes or `seconds`), so that closing with unread data does not
    /// reset the connection before the client has read the response.
    static func drainAfterResponse(_ fd: Int32, limit: Int, seconds: Double) {
        _ = shutdown(fd, Int32(SHUT_WR))
        setTimeout(fd, option: SO_RCVTIMEO, seconds: min(0.2, seconds))
        let start = monotonicSeconds()
        var total = 0
        while total < limit, monotonicSeconds() - start < seconds {
            guard let bytes = receive(fd, max: 64 * 1024), !bytes.isEmpty else { return }
            total += bytes.count
        }
    }

    /// Hard close: RST instead of FIN (SO_LINGER with a zero timeout).
    static func setResetOnClose(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
