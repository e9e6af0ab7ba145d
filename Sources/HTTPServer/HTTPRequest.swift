/// Bounds on what a client may send. A request over them is refused with a
/// status code before its bytes are kept.
public struct HTTPLimits: Sendable, Equatable {
    /// Request line and headers, including the blank line that ends them.
    public var maxHeadBytes = 16 * 1024
    public var maxHeaderCount = 100
    public var maxBodyBytes = 4 * 1024 * 1024
    public init() {}
}

/// Header fields in the order received; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The first value of `name`, if present.
    public subscript(name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return fields.filter { $0.name.lowercased() == key }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }
}

/// The request line and headers, available before the body has arrived.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    /// The request-target as sent (`/v1/models?x=1`).
    public var target: String
    /// The target up to `?`.
    public var path: String
    /// The target after `?`, if any.
    public var query: String?
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    public var headers: HTTPHeaders
    /// Declared body length (0 without Content-Length).
    public var contentLength: Int
    /// `Expect: 100-continue`: the client waits for an interim response before sending the body.
    public var expectsContinue: Bool
}

/// A complete request.
public struct HTTPRequest: Sendable, Equatable {
    public var head: HTTPRequestHead
    public var body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    public var method: String { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
}

/// Why a request was refused, as the status to answer with.
public struct HTTPParseError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

public enum HTTPParseResult: Sendable, Equatable {
    /// More bytes are needed; the head once it is complete (so a server can
    /// answer `Expect: 100-continue`).
    case needMore(HTTPRequestHead?)
    /// A whole request in the first `consumed` bytes.
    case complete(HTTPRequest, consumed: Int)
    case failure(HTTPParseError)
}

/// HTTP/1.1 request parsing (RFC 9112) as a pure function of the bytes received
/// so far, so it can be fuzzed without a socket. Strict where leniency has
/// caused request smuggling: CRLF line ends only, no obsolete line folding, no
/// whitespace before a header's colon, one Content-Length, no
/// Transfer-Encoding (this server never needs chunked request bodies).
public enum HTTPRequestParser {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, htab: UInt8 = 9, colon: UInt8 = 58

    public static func parse(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
        // RFC 9112 §2.2: a server should ignore empty lines before the request line
        var start = 0
        while start + 1 < bytes.count, start < 8, bytes[start] == cr, bytes[start + 1] == lf { start += 2 }

        // find the blank line ending the head; a lone CR or LF is refused at once
        var headEnd: Int?
        var i = start
        let scanEnd = min(bytes.count, start + limits.maxHeadBytes)
        while i < scanEnd {
            let b = bytes[i]
            if b == lf {
                guard i > start, bytes[i - 1] == cr else { return .failure(HTTPParseError(400, "line ends must be CRLF")) }
                if i - start >= 3, bytes[i - 2] == lf, bytes[i - 3] == cr { headEnd = i + 1; break }
            } else if b == cr, i + 1 < bytes.count, bytes[i + 1] != lf {
                return .failure(HTTPParseError(400, "bare CR in the request head"))
            }
            i += 1
        }
        guard let headEnd else {
            if bytes.count - start >= limits.maxHeadBytes {
                return .failure(HTTPParseError(431, "request head is larger than \(limits.maxHeadBytes) bytes"))
            }
            return .needMore(nil)
        }

        let head: HTTPRequestHead
        switch parseHead(bytes[start..<(headEnd - 4)], limits: limits) {
        case let .success(h): head = h
        case let .failure(e): return .failure(e)
        }
        let available = bytes.count - headEnd
        guard available >= head.contentLength else { return .needMore(head) }
        let body = Array(bytes[headEnd..<(headEnd + head.contentLength)])
        return .complete(HTTPRequest(head: head, body: body), consumed: headEnd + head.contentLength)
    }

    /// Request line and header lines, without the final CRLF CRLF.
    static func parseHead(_ text: ArraySlice<UInt8>, limits: HTTPLimits) -> Result<HTTPRequestHead, HTTPParseError> {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == cr, i + 1 < text.endIndex, text[i + 1] == lf {
                lines.append(text[lineStart..<i])
                i += 2
                lineStart = i
            } else {
                i += 1
            }
        }
        lines.append(text[lineStart..<text.endIndex])
        guard let requestLine = lines.first else { return .failure(HTTPParseError(400, "empty request")) }

        // request-line = method SP request-target SP HTTP-version
        let parts = requestLine.split(separator: sp, omittingEmptySubsequences: false)
        guard parts.count == 3, let methodBytes = parts.first, let targetBytes = parts.dropFirst().first,
              let versionBytes = parts.last else {
            return .failure(HTTPParseError(400, "malformed request line"))
        }
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(isTokenChar) else {
            return .failure(HTTPParseError(400, "malformed method"))
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(HTTPParseError(400, "malformed request target"))
        }
        let version = String(decoding: versionBytes, as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            let looksLikeHTTP = versionBytes.count == 8 && version.hasPrefix("HTTP/")
            return .failure(looksLikeHTTP ? HTTPParseError(505, "only HTTP/1.0 and HTTP/1.1 are supported")
                                          : HTTPParseError(400, "malformed HTTP version"))
        }

        var fields: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard fields.count < limits.maxHeaderCount else {
                return .failure(HTTPParseError(431, "more than \(limits.maxHeaderCount) header fields"))
            }
            guard let first = line.first, first != sp, first != htab else {
                return .failure(HTTPParseError(400, "obsolete line folding or empty header line"))
            }
            guard let colonIndex = line.firstIndex(of: colon) else {
                return .failure(HTTPParseError(400, "header line without a colon"))
            }
            let name = line[line.startIndex..<colonIndex]
            guard !name.isEmpty, name.allSatisfy(isTokenChar) else {
                return .failure(HTTPParseError(400, "malformed header name"))
            }
            let value = trimmingWhitespace(line[(colonIndex + 1)...])
            // field-value: visible characters, SP, HTAB and obs-text; never a control character
            guard value.allSatisfy({ $0 == htab || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .failure(HTTPParseError(400, "control character in a header value"))
            }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let headers = HTTPHeaders(fields)

        if !headers.values("Transfer-Encoding").isEmpty {
            return .failure(HTTPParseError(501, "Transfer-Encoding request bodies are not supported; send Content-Length"))
        }
        // Content-Length: every copy (and every list item) must agree (RFC 9112 §6.3)
        var contentLength: Int?
        for value in headers.values("Content-Length") {
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = trimmingWhitespace(Array(item.utf8)[...])
                guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                      let n = Int(String(decoding: digits, as: UTF8.self)) else {
                    return .failure(HTTPParseError(400, "malformed Content-Length"))
                }
                if let seen = contentLength, seen != n {
                    return .failure(HTTPParseError(400, "conflicting Content-Length values"))
                }
                contentLength = n
            }
        }
        let method = String(decoding: methodBytes, as: UTF8.self)
        if contentLength == nil, ["POST", "PUT", "PATCH"].contains(method) {
            return .failure(HTTPParseError(411, "\(method) needs a Content-Length"))
        }
        let length = contentLength ?? 0
        guard length <= limits.maxBodyBytes else {
            return .failure(HTTPParseError(413, "request body is \(length) bytes (limit \(limits.maxBodyBytes))"))
        }

        let target = String(decoding: targetBytes, as: UTF8.self)
        let path: String, query: String?
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = target
            query = nil
        }
        let expects = headers["Expect"]?.lowercased() == "100-continue" && version == "HTTP/1.1"
        return .success(HTTPRequestHead(method: method, target: target, path: path, query: query, version: version,
                                        headers: headers, contentLength: length, expectsContinue: expects))
    }

    /// Without leading and trailing SP/HTAB (RFC 9110 OWS).
    static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var value = bytes
        while let b = value.first, b == sp || b == htab { value = value.dropFirst() }
        while let b = value.last, b == sp || b == htab { value = value.dropLast() }
        return value
    }

    /// RFC 9110 tchar.
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }
}
