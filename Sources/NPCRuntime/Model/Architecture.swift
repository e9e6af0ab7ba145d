/// What distinguishes one transformer family from another: a small description,
/// not a fork of the forward pass. Keys and tensor names follow GGUF/llama.cpp.
public struct Architecture: Sendable {
    public enum RopeStyle: Sendable { case adjacentPairs, halfSplit }   // ggml NORM / NEOX
    public enum Activation: Sendable { case silu, geluTanh }

    public let name: String
    public let ropeStyle: RopeStyle
    public let activation: Activation
    /// Biases on Q, K, V (qwen2).
    public let qkvBias: Bool
    /// RMS norm per head on Q and K before RoPE (gemma3).
    public let qkNorm: Bool
    /// Norms on the attention and FFN outputs before the residual add (gemma3).
    public let postNorms: Bool
    /// Token embeddings multiplied by sqrt(dim) (gemma).
    public let scaleEmbedding: Bool
    /// Every `slidingWindowPeriod`-th layer is global, the others use the sliding
    /// window and `localRopeBase` (gemma3: 6, 10 000). nil: every layer is global.
    public let slidingWindowPeriod: Int?
    public let localRopeBase: Float

    public static let llama = Architecture(name: "llama", ropeStyle: .adjacentPairs, activation: .silu,
                                           qkvBias: false, qkNorm: false, postNorms: false,
                                           scaleEmbedding: false, slidingWindowPeriod: nil, localRopeBase: 0)
    public static let qwen2 = Architecture(name: "qwen2", ropeStyle: .halfSplit, activation: .silu,
                                           qkvBias: true, qkNorm: false, postNorms: false,
                                           scaleEmbedding: false, slidingWindowPeriod: nil, localRopeBase: 0)
    public static let gemma3 = Architecture(name: "gemma3", ropeStyle: .halfSplit, activation: .geluTanh,
                                            qkvBias: false, qkNorm: true, postNorms: true,
                                            scaleEmbedding: true, slidingWindowPeriod: 6, localRopeBase: 10_000)

    public static let known: [String: Architecture] = ["llama": .llama, "qwen2": .qwen2, "gemma3": .gemma3]
}

/// GGUF tensor names, built in one place (never typed twice).
public enum TensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    public static let output = "output.weight"
    public static func block(_ layer: Int, _ suffix: String) -> String { "blk.\(layer).\(suffix)" }
}

/// Hyperparameters read from `<arch>.*` GGUF keys.
public struct ModelConfig: Sendable {
    public let architecture: Architecture
    public let layerCount: Int
    public let dim: Int
    public let ffnDim: Int
    public let headCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    public let vocabSize: Int
    public let trainedContext: Int
    public let normEps: Float
    public let ropeBase: Float
    public let ropeDim: Int
    public let slidingWindow: Int
    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }

    /// True if layer `l` attends over a sliding window with the local RoPE base.
    public func isLocal(layer l: Int) -> Bool {
        guard let period = architecture.slidingWindowPeriod else { return false }
        return (l + 1) % period != 0
    }
    public func ropeBase(layer l: Int) -> Float { isLocal(layer: l) ? architecture.localRopeBase : ropeBase }

    public init(gguf: GGUFFile) throws(RuntimeError) {
        guard let archName = gguf["general.architecture"]?.stringValue else {
            throw RuntimeError(.badModel, "GGUF has no general.architecture")
        }
        guard let arch = Architecture.known[archName] else {
            throw RuntimeError(.unsupportedModel,
                               "architecture '\(archName)' is not supported (supported: \(Architecture.known.keys.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String, _ fallback: Int? = nil) throws(RuntimeError) -> Int {
            if let v = gguf["\(archName).\(key)"]?.intValue { return v }
            if let fallback { return fallback }
            throw RuntimeError(.badModel, "GGUF is missing \(archName).\(key)")
        }
        func float(_ key: String, _ fallback: Float) -> Float {
            gguf["\(archName).\(key)"]?.doubleValue.map { Float($0) } ?? fallback
        }
        architecture = arch
        layerCount = try int("block_count")
        dim = try int("embedding_length")
        ffnDim = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        kvHeadCount = try int("attention.head_count_kv", headCount)
        headDim = try int("attention.key_length", headCount > 0 ? dim / headCount : 0)
        trainedContext = try int("context_length", 2048)
        normEps = float("attention.layer_norm_rms_epsilon", 1e-5)
        ropeBase = float("rope.freq_base", 10_000)
        ropeDim = try int("rope.dimension_count", headDim)
        slidingWindow = try int("attention.sliding_window", 0)
        guard let embedding = gguf.tensor(TensorName.tokenEmbedding), embedding.dims.count == 2 else {
            throw RuntimeError(.badModel, "GGUF has no 2-D \(TensorName.tokenEmbedding)")
        }
        vocabSize = embedding.dims[1]

        let limits = [("block_count", layerCount, 1, 512), ("embedding_length", dim, 1, 65_536),
                      ("feed_forward_length", ffnDim, 1, 262_144), ("attention.head_count", headCount, 1, 1024),
                      ("attention.head_count_kv", kvHeadCount, 1, 1024), ("attention.key_length", headDim, 2, 1024),
                      ("context_length", trainedContext, 1, 1 << 24)]
        for (key, value, lo, hi) in limits where value < lo || value > hi {
            throw RuntimeError(.badModel, "\(archName).\(key) = \(value) is outside \(lo)…\(hi)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw RuntimeError(.badModel, "head_count \(headCount) is not a multiple of head_count_kv \(kvHeadCount)")
        }
        guard ropeDim % 2 == 0, ropeDim <= headDim, headDim % 2 == 0 else {
            throw RuntimeError(.badModel, "rope dimension \(ropeDim) must be even and at most head size \(headDim)")
        }
        guard embedding.dims[0] == dim else {
            throw RuntimeError(.badModel, "\(TensorName.tokenEmbedding) rows have \(embedding.dims[0]) values, expected \(dim)")
        }
    }
}
