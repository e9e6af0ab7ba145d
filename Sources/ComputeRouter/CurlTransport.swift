#if canImport(Glibc)
import Glibc
#endif
import CCurl
import NPCRuntime

/// HTTP over libcurl's multi interface, driven by the thread that reads the
/// response: no thread of its own, so closing an exchange frees everything.
public struct CurlTransport: HTTPTransport {
    /// A response body larger than this is a broken server (chat replies are KBs).
    public static let maxResponseBytes = 8 << 20

    public init() { Self.globalInit }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func open(_ request: HTTPRequest) -> any HTTPExchange { CurlExchange(request) }
}

final class CurlExchange: HTTPExchange {
    /// Filled by libcurl's write callback during `curl_multi_perform` on the reading thread.
    final class Inbox {
        var bytes: [UInt8] = []
        var total = 0
        var overflowed = false
    }

    private var easy: UnsafeMutableRawPointer?
    private var multi: UnsafeMutableRawPointer?
    private var headers: UnsafeMutablePointer<curl_slist>?
    private let inbox = Inbox()
    private var inboxRef: Unmanaged<Inbox>?
    private var statusSent = false
    private var finished: HTTPStreamEvent?
    private var setupFailure: TransportFailure?

    init(_ request: HTTPRequest) {
        guard let easy = curl_easy_init(), let multi = curl_multi_init() else {
            setupFailure = TransportFailure(.connect, "libcurl could not start a transfer")
            return
        }
        self.easy = easy
        self.multi = multi
        let ref = Unmanaged.passRetained(inbox)
        inboxRef = ref
        var ok = parley_curl_set_string(easy, CURLOPT_URL, request.url) == CURLE_OK
        ok = ok && parley_curl_set_long(easy, CURLOPT_NOSIGNAL, 1) == CURLE_OK  // no SIGALRM in a game process
        ok = ok && parley_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMs)) == CURLE_OK
        ok = ok && parley_curl_set_long(easy, CURLOPT_TIMEOUT_MS, max(1, request.totalTimeoutMs)) == CURLE_OK
        ok = ok && parley_curl_set_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK
        ok = ok && parley_curl_set_long(easy, CURLOPT_TCP_NODELAY, 1) == CURLE_OK
        ok = ok && parley_curl_set_body(easy, request.body.map { CChar(bitPattern: $0) } + [0], request.body.count) == CURLE_OK
        for (name, value) in request.headers {
            headers = curl_slist_append(headers, "\(name): \(value)")
        }
        ok = ok && parley_curl_set_slist(easy, CURLOPT_HTTPHEADER, headers) == CURLE_OK
        ok = ok && parley_curl_set_pointer(easy, CURLOPT_WRITEDATA, ref.toOpaque()) == CURLE_OK
        ok = ok && parley_curl_set_write(easy, { data, size, count, context in
            guard let data, let context else { return 0 }
            let inbox = Unmanaged<CurlExchange.Inbox>.fromOpaque(context).takeUnretainedValue()
            let n = size * count
            inbox.total += n
            guard inbox.total <= CurlTransport.maxResponseBytes else { inbox.overflowed = true; return 0 }
            data.withMemoryRebound(to: UInt8.self, capacity: n) { inbox.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }) == CURLE_OK
        ok = ok && curl_multi_add_handle(multi, easy) == CURLM_OK
        if !ok { setupFailure = TransportFailure(.connect, "libcurl rejected the request (bad URL or option)") }
    }

    deinit { close() }

    func pump() {
        guard let multi, finished == nil else { return }
        var running: Int32 = 0
        _ = curl_multi_perform(multi, &running)
        collectResult()
    }

    func next(timeoutMs: Int) -> HTTPStreamEvent {
        if let setupFailure { self.setupFailure = nil; finished = .end; return .failed(setupFailure) }
        guard let multi else { return finished ?? .end }
        let deadline = monotonicMs() + Double(max(0, timeoutMs))
        while true {
            if let event = takeBuffered() { return event }
            if let finished {
                if !statusSent, case .end = finished { statusSent = true; return .status(parley_curl_response_code(easy)) }
                self.finished = .end
                return finished
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectResult()
            if inbox.bytes.isEmpty && finished == nil {
                let left = deadline - monotonicMs()
                if left <= 0 { return .idle }
                _ = curl_multi_poll(multi, nil, 0, Int32(min(left, 50).rounded(.up)), nil)
            }
        }
    }

    /// Status first, then the bytes written so far.
    private func takeBuffered() -> HTTPStreamEvent? {
        guard !inbox.bytes.isEmpty else { return nil }
        if !statusSent {
            statusSent = true
            return .status(parley_curl_response_code(easy))
        }
        defer { inbox.bytes.removeAll(keepingCapacity: true) }
        return .bytes(inbox.bytes)
    }

    private func collectResult() {
        guard let multi, finished == nil else { return }
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE else { continue }
            let code = message.pointee.data.result
            finished = code == CURLE_OK ? .end : .failed(failure(code))
        }
    }

    private func failure(_ code: CURLcode) -> TransportFailure {
        let text = String(cString: curl_easy_strerror(code))
        if inbox.overflowed { return TransportFailure(.broken, "the response exceeded \(CurlTransport.maxResponseBytes) bytes") }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            return TransportFailure(.connect, text)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportFailure(statusSent || inbox.total > 0 ? .timeout : .connect, text)
        default:
            return TransportFailure(.broken, text)
        }
    }

    func close() {
        if let multi, let easy { curl_multi_remove_handle(multi, easy) }
        if let easy { curl_easy_cleanup(easy) }
        if let multi { curl_multi_cleanup(multi) }
        if let headers { curl_slist_free_all(headers) }
        inboxRef?.release()
        easy = nil
        multi = nil
        headers = nil
        inboxRef = nil
        if finished == nil { finished = .end }
    }
}
