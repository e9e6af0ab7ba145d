/// Incremental Server-Sent Events decoder for OpenAI-style streaming responses.
/// Bytes arrive in arbitrary chunks (a line may be split anywhere); complete
/// events come out in order. Lines longer than `maxLineBytes` are an error, so a
/// misbehaving server cannot grow memory without bound.
public struct SSEDecoder: Sendable {
    public struct Event: Sendable, Equatable {
        public var event: String?
        public var data: String
    }

    public enum DecodeError: Error, Equatable { case lineTooLong(Int) }

    public let maxLineBytes: Int
    private var line: [UInt8] = []
    private var dataLines: [String] = []
    private var eventName: String?
    private var lastWasCR = false

    public init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(DecodeError) -> [Event] {
        var out: [Event] = []
        for b in bytes {
            if b == 0x0A && lastWasCR { lastWasCR = false; continue }  // CRLF counted once
            lastWasCR = b == 0x0D
            if b == 0x0A || b == 0x0D {
                if let e = endLine() { out.append(e) }
                continue
            }
            guard line.count < maxLineBytes else { throw .lineTooLong(maxLineBytes) }
            line.append(b)
        }
        return out
    }

    /// Processes one complete line; a blank line dispatches the pending event.
    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard !dataLines.isEmpty else { eventName = nil; return nil }
            let e = Event(event: eventName, data: dataLines.joined(separator: "\n"))
            dataLines.removeAll()
            eventName = nil
            return e
        }
        if line.first == UInt8(ascii: ":") { return nil }  // comment / keep-alive
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count && line[valueStart] == 0x20 { valueStart += 1 }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch field {
        case "data": dataLines.append(value)
        case "event": eventName = value
        default: break  // id, retry: not used by chat completions
        }
        return nil
    }
}
