/// A step between the forward pass and the sampler: it edits the logits of the
/// next token in place (token masks, biases, repetition rules). `history` is
/// every token already in the context, oldest first.
public protocol LogitsProcessor: Sendable {
    func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>)
}

/// llama.cpp's repetition rule over the last `window` tokens: a positive logit
/// is divided by the penalty, a negative one multiplied (each token once).
public struct RepetitionPenalty: LogitsProcessor {
    public let penalty: Float
    public let window: Int
    public init(penalty: Float, window: Int) {
        self.penalty = penalty
        self.window = max(0, window)
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        // no per-token allocation: a repeat is found by scanning the (short) window before it
        let recent = history.suffix(window)
        for (offset, id) in zip(recent.indices, recent) where id >= 0 && Int(id) < logits.count {
            guard !recent[..<offset].contains(id) else { continue }
            let v = logits[Int(id)]
            logits[Int(id)] = v > 0 ? v / penalty : v * penalty
        }
    }
}

/// Adds a fixed bias to chosen tokens (ids outside the vocabulary are ignored).
public struct LogitBias: LogitsProcessor {
    public let bias: [Int32: Float]
    public init(_ bias: [Int32: Float]) { self.bias = bias }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        for (id, b) in bias where id >= 0 && Int(id) < logits.count { logits[Int(id)] += b }
    }
}

/// Forbids tokens (their logits become −∞), e.g. a chat format's control tokens
/// that must never appear inside a reply.
public struct TokenMask: LogitsProcessor {
    public let banned: [Int32]
    public init(banning ids: some Sequence<Int32>) { banned = Array(Set(ids)).sorted() }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        for id in banned where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
    }
}

/// Forbids tokens while the context is shorter than `untilCount`: with the stop
/// tokens and the prompt's length plus one, a reply is never empty (a model
/// that would rather start a masked tool call must say something instead).
public struct EarlyStopMask: LogitsProcessor {
    public let banned: [Int32]
    public let untilCount: Int
    public init(banning ids: some Sequence<Int32>, untilCount: Int) {
        banned = Array(Set(ids)).sorted()
        self.untilCount = untilCount
    }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        guard history.count < untilCount else { return }
        for id in banned where id >= 0 && Int(id) < logits.count { logits[Int(id)] = -.infinity }
    }
}
