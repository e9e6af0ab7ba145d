#if canImport(Glibc)
import Glibc
#endif
import NPCRuntime

/// Where the remote large model is and how patiently to wait for it.
public struct RemoteConfig: Sendable, CustomStringConvertible {
    /// OpenAI-compatible base URL, e.g. `http://127.0.0.1:8080/v1`.
    public var baseURL: String
    public var model: String
    /// nil: `PARLEY_REMOTE_API_KEY` from the environment (may be absent for local servers).
    public var apiKey: String?
    public var connectTimeoutMs = 3_000
    /// From sending the request to the first byte of the reply (a big model's prefill).
    public var firstByteTimeoutMs = 15_000
    /// Longest silence once the reply is streaming.
    public var idleTimeoutMs = 10_000
    public var totalTimeoutMs = 60_000
    /// Attempts after the first, on connect failures, 408/429 and 5xx before the reply starts.
    public var maxRetries = 2
    public var retryBaseMs = 250
    public var breakerFailures = 3
    public var breakerCooldownMs = 30_000
    /// Price in USD per million tokens, for the ROUTE event's estimate and eval reports.
    public var usdPerMillionInputTokens = 0.15
    public var usdPerMillionOutputTokens = 0.60

    public init(baseURL: String, model: String, apiKey: String? = nil) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
    }

    static let maxURLBytes = 2048
    static let maxModelBytes = 256
    static let maxKeyBytes = 4096

    public func validate() throws(RuntimeError) {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://"), baseURL.utf8.count <= Self.maxURLBytes else {
            throw RuntimeError(.invalidArgument, "remote URL must start with http:// or https:// and be at most \(Self.maxURLBytes) bytes")
        }
        guard !baseURL.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw RuntimeError(.invalidArgument, "remote URL contains spaces or control characters")
        }
        guard model.utf8.count <= Self.maxModelBytes else {
            throw RuntimeError(.invalidArgument, "remote model name longer than \(Self.maxModelBytes) bytes")
        }
        if let apiKey {
            guard apiKey.utf8.count <= Self.maxKeyBytes, !apiKey.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw RuntimeError(.invalidArgument, "remote API key is too long or contains control characters")
            }
        }
        for (value, name, range) in [(connectTimeoutMs, "connect timeout", 1...60_000), (firstByteTimeoutMs, "first-byte timeout", 1...300_000),
                                     (idleTimeoutMs, "idle timeout", 1...300_000), (totalTimeoutMs, "total timeout", 1...600_000),
                                     (maxRetries, "retries", 0...5), (retryBaseMs, "retry backoff", 0...10_000),
                                     (breakerFailures, "breaker failures", 1...100), (breakerCooldownMs, "breaker cooldown", 0...3_600_000)] {
            guard range.contains(value) else {
                throw RuntimeError(.invalidArgument, "remote \(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
    }

    /// The key to send: the configured one, else the environment's.
    var effectiveKey: String? {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        guard let env = getenv("PARLEY_REMOTE_API_KEY") else { return nil }
        let key = String(cString: env)
        return key.isEmpty ? nil : key
    }

    var completionsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }

    /// Never includes the key.
    public var description: String { "remote \(model) at \(baseURL)" }

    /// USD for a turn's tokens.
    public func cost(promptTokens: Int, completionTokens: Int) -> Double {
        (Double(promptTokens) * usdPerMillionInputTokens + Double(completionTokens) * usdPerMillionOutputTokens) / 1e6
    }
}
