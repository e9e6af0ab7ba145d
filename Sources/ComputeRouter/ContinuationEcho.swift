import NPCRuntime

/// A reply that continues words already spoken (a bridge's opening, or text
/// before a failure) is sent as a trailing assistant message. llama.cpp's
/// server takes that as a prefill and streams it back first; others write a
/// fresh message. This drops the echo, and passes anything else through.
struct ContinuationEcho {
    private let expected: String
    private var held = ""
    private var resolved: Bool

    init(_ continuation: String) {
        expected = continuation.trimmedWhitespace
        resolved = expected.isEmpty
    }

    mutating func filter(_ text: String) -> String {
        guard !resolved else { return text }
        held += text
        let candidate = Substring(held).drop { $0.isWhitespace }
        if candidate.hasPrefix(expected) {
            resolved = true
            defer { held = "" }
            return String(candidate.dropFirst(expected.count))
        }
        if expected.hasPrefix(candidate) { return "" }  // may still be the echo
        return flush()
    }

    /// Whatever is held (the stream ended while it could still have been an echo).
    mutating func flush() -> String {
        resolved = true
        defer { held = "" }
        return held
    }
}
