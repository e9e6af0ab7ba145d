#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Building a VITSModel from an exported Piper graph. Sizes (hidden channels,
/// layer counts, kernels, dilations, strides) are all read from the graph.
extension VITSModel {
    static let maxLayers = 64
    static let maxHopLength = 4096

    /// precision: how the dense convolutions multiply (VoicePrecision; the rest of the model is always float).
    init(graph: ONNXGraph, precision: VoicePrecision = .exact) throws(ONNXError) {
        let g = VITSGraphIndex(graph)
        // Graph inputs by position: phoneme ids, lengths, scales, then the speaker id if any.
        guard graph.inputs.count >= 3 else { throw .unsupported("expected inputs (ids, lengths, scales[, speaker]), found \(graph.inputs.count)") }
        let phonemeTable = try Self.embeddingTable(g, indexedBy: graph.inputs[0].name)
        let symbols = try VITSGraphIndex.checked(phonemeTable.tensor.dims[0], "phoneme symbols", max: 1 << 16)
        let hidden = try VITSGraphIndex.checked(phonemeTable.tensor.dims[1], "hidden channels")

        var speakerTable: WeightBuffer?
        var speakers = 1, speakerChannels = 0
        if graph.inputs.count >= 4 {
            let t = try Self.embeddingTable(g, indexedBy: graph.inputs[3].name)
            speakers = try VITSGraphIndex.checked(t.tensor.dims[0], "speakers", max: 1 << 16)
            speakerChannels = try VITSGraphIndex.checked(t.tensor.dims[1], "speaker channels")
            speakerTable = try g.floats(t.tensor, [speakers, speakerChannels], of: t.node)
        }
        let gin: Int? = speakerTable == nil ? nil : speakerChannels

        let encoder = try Self.textEncoder(g, embedding: try g.floats(phonemeTable.tensor, [symbols, hidden], of: phonemeTable.node),
                                           symbols: symbols, hidden: hidden, precision: precision)
        let latent = encoder.latentChannels
        let durations = try Self.durationPredictor(g, hidden: hidden, gin: gin, precision: precision)
        let flow = try Self.flow(g, latent: latent, gin: gin, precision: precision)
        let decoder = try Self.decoder(g, latent: latent, gin: gin, precision: precision)
        self.init(encoder: encoder, durationPredictor: durations, flow: flow, decoder: decoder,
                  speakerEmbedding: speakerTable, speakerCount: speakers, speakerChannels: speakerChannels)
    }

    /// The (rows, channels) table a Gather looks `input` up in.
    private static func embeddingTable(_ g: VITSGraphIndex, indexedBy input: String) throws(ONNXError) -> (node: ONNXNode, tensor: ONNXTensor) {
        for n in g.graph.nodes where n.opType == "Gather" && n.inputs.count == 2 && n.inputs[1] == input {
            if let t = g.graph.initializers[n.inputs[0]], t.dims.count == 2 { return (n, t) }
        }
        throw .unsupported("no embedding table is indexed by graph input \(input)")
    }

    private static func count(_ g: VITSGraphIndex, _ name: (Int) -> String) -> Int {
        var n = 0
        while n < maxLayers, g.has(name(n)) { n += 1 }
        return n
    }

    // MARK: Text encoder

    /// `precision`: of the attention's projections and the feed-forward convolutions (the scores,
    /// norms and the prior's projection stay float).
    private static func textEncoder(_ g: VITSGraphIndex, embedding: WeightBuffer, symbols: Int, hidden h: Int,
                                    precision: VoicePrecision) throws(ONNXError) -> TextEncoder {
        let scope = "/enc_p/encoder"
        let layers = count(g) { "\(scope)/attn_layers.\($0)/conv_q/Conv" }
        guard layers > 0 else { throw .unsupported("no text encoder layers under \(scope)") }
        var attention: [RelativePositionAttention] = []
        var norms1: [ChannelLayerNorm] = [], norms2: [ChannelLayerNorm] = []
        var ffn: [ConvFeedForward] = []
        for l in 0..<layers {
            let a = "\(scope)/attn_layers.\(l)"
            // The two (1, 2w+1, d) tables: the value table is used after the Softmax
            // (its cone meets the Softmax's), the key table before it.
            let tables = g.initializers(under: a + "/").filter { $0.tensor.dims.count == 3 && $0.tensor.dims[0] == 1 }
            guard tables.count == 2 else { throw .unsupported("\(a): expected 2 relative-position tables, found \(tables.count)") }
            guard let softmax = g.graph.nodes.first(where: { $0.name.hasPrefix(a + "/") && $0.opType == "Softmax" }),
                  let probabilities = softmax.outputs.first else { throw .unsupported("\(a): no Softmax") }
            let afterSoftmax = g.cone(from: probabilities, within: a + "/")
            let usedAfter = tables.map { !g.cone(from: $0.tensor.name, within: a + "/").isDisjoint(with: afterSoftmax) }
            guard usedAfter[0] != usedAfter[1] else { throw .unsupported("\(a): cannot tell the key and value position tables apart") }
            let (k, v) = usedAfter[1] ? (tables[0], tables[1]) : (tables[1], tables[0])
            let rows = k.tensor.dims[1], d = k.tensor.dims[2]
            guard rows % 2 == 1, rows <= 129, d >= 1, h % d == 0 else {
                throw .unsupported("\(a): relative table shape \(k.tensor.dims) for \(h) channels")
            }
            let projection = { (name: String) throws(ONNXError) -> Conv1d in heavy(try g.conv("\(a)/\(name)/Conv", in: h, out: h), precision) }
            attention.append(RelativePositionAttention(
                query: try projection("conv_q"), key: try projection("conv_k"), value: try projection("conv_v"), output: try projection("conv_o"),
                relativeKeys: try g.floats(k.tensor, [1, rows, d], of: k.node),
                relativeValues: try g.floats(v.tensor, [1, rows, d], of: v.node),
                heads: h / d, headChannels: d, window: rows / 2))
            norms1.append(try g.layerNorm("\(scope)/norm_layers_1.\(l)", channels: h))
            let expand = heavy(try g.conv("\(scope)/ffn_layers.\(l)/conv_1/Conv", in: h, out: nil), precision)
            let project = heavy(try g.conv("\(scope)/ffn_layers.\(l)/conv_2/Conv", in: expand.outChannels, out: h), precision)
            ffn.append(ConvFeedForward(expand: expand, project: project))
            norms2.append(try g.layerNorm("\(scope)/norm_layers_2.\(l)", channels: h))
        }
        let projection = try g.conv("/enc_p/proj/Conv", in: h, out: nil)
        guard projection.outChannels % 2 == 0 else { throw .unsupported("/enc_p/proj has \(projection.outChannels) outputs, expected mean and log-std") }
        return TextEncoder(embedding: embedding, symbols: symbols, hidden: h, attention: attention, attentionNorms: norms1,
                           feedForward: ffn, feedForwardNorms: norms2, projection: projection)
    }

    // MARK: Duration predictor

    private static func ddsConv(_ g: VITSGraphIndex, _ scope: String, channels c: Int, precision: VoicePrecision) throws(ONNXError) -> DilatedDepthSeparableConv {
        let n = count(g) { "\(scope)/convs_sep.\($0)/Conv" }
        guard n > 0 else { throw .unsupported("no DDSConv layers under \(scope)") }
        var layers: [DilatedDepthSeparableConv.Layer] = []
        for i in 0..<n {
            layers.append(.init(depthwise: try g.conv("\(scope)/convs_sep.\(i)/Conv", in: c, out: c, depthwise: true),
                                norm1: try g.layerNorm("\(scope)/norms_1.\(i)", channels: c),
                                pointwise: heavy(try g.conv("\(scope)/convs_1x1.\(i)/Conv", in: c, out: c), precision),
                                norm2: try g.layerNorm("\(scope)/norms_2.\(i)", channels: c)))
        }
        return DilatedDepthSeparableConv(layers: layers)
    }

    private static func durationPredictor(_ g: VITSGraphIndex, hidden: Int, gin: Int?, precision: VoicePrecision) throws(ONNXError) -> StochasticDurationPredictor {
        let pre = try g.conv("/dp/pre/Conv", in: hidden, out: nil)
        let f = pre.outChannels
        let convs = try ddsConv(g, "/dp/convs", channels: f, precision: precision)
        let projection = try g.conv("/dp/proj/Conv", in: f, out: f)
        let cond = try gin.map { (gin) throws(ONNXError) in try g.conv("/dp/cond/Conv", in: gin, out: f) }

        // Spline flows present in the reverse graph, used from the highest index down.
        var flows: [SplineCouplingFlow] = []
        for i in stride(from: maxLayers - 1, through: 1, by: -1) where g.has("/dp/flows.\(i)/pre/Conv") {
            let s = "/dp/flows.\(i)"
            let proj = try g.conv("\(s)/proj/Conv", in: f, out: nil)
            guard (proj.outChannels + 1) % 3 == 0, proj.outChannels >= 5 else {
                throw .unsupported("\(s)/proj has \(proj.outChannels) outputs, not 3·bins − 1")
            }
            flows.append(SplineCouplingFlow(pre: try g.conv("\(s)/pre/Conv", in: 1, out: f),
                                            convs: try ddsConv(g, "\(s)/convs", channels: f, precision: precision),
                                            projection: proj, bins: (proj.outChannels + 1) / 3))
        }
        guard !flows.isEmpty else { throw .unsupported("no duration-predictor flows under /dp/flows") }

        // Element-wise affine flow, reversed: (z − m) · exp(−logs). The export folds exp(−logs) to a constant.
        let sub = try g.node("/dp/flows.0/Sub"), mul = try g.node("/dp/flows.0/Mul")
        let shift = try g.floats(try g.initializer(sub, 1), [2, 1], of: sub)
        let inverseScale: WeightBuffer
        if mul.inputs.count == 2, let t = g.graph.initializers[mul.inputs[1]] {
            inverseScale = try g.floats(t, [2, 1], of: mul)
        } else if mul.inputs.count == 2, let exp = g.producer(of: mul.inputs[1]), exp.opType == "Exp",
                  let neg = g.producer(of: exp.inputs.first ?? ""), neg.opType == "Neg" {
            let logs = try g.floats(try g.initializer(neg, 0), [2, 1], of: neg)
            inverseScale = WeightBuffer(count: 2) { expf(-logs[$0]) }
        } else {
            throw .unsupported("/dp/flows.0/Mul: cannot find the affine flow's scale")
        }
        return StochasticDurationPredictor(pre: pre, convs: convs, projection: projection, speakerCondition: cond,
                                           flows: flows, shift: shift, inverseScale: inverseScale)
    }

    // MARK: Flow

    /// The convolution as `precision` computes it (`pairedOutputs`, and Winograd's F(4, 4) where it gains: the
    /// decoder's residual blocks, whose windows are long beside their weights; Conv1d.withIntegerProducts).
    private static func heavy(_ conv: Conv1d, _ precision: VoicePrecision, pairedOutputs: Bool = false) -> Conv1d {
        precision == .int16 ? conv.withIntegerProducts(pairedOutputs: pairedOutputs, winograd: pairedOutputs) : conv
    }

    private static func heavy(_ up: ConvTranspose1d, _ precision: VoicePrecision) -> ConvTranspose1d {
        precision == .int16 ? up.withIntegerProducts() : up
    }

    private static func flow(_ g: VITSGraphIndex, latent: Int, gin: Int?, precision: VoicePrecision) throws(ONNXError) -> ResidualCouplingFlow {
        guard latent % 2 == 0 else { throw .unsupported("\(latent) latent channels cannot be split in halves") }
        let half = latent / 2
        var layers: [ResidualCouplingLayer] = []
        for i in 0..<maxLayers where g.has("/flow/flows.\(i)/pre/Conv") {
            let s = "/flow/flows.\(i)"
            let pre = heavy(try g.conv("\(s)/pre/Conv", in: half, out: nil), precision)
            let h = pre.outChannels
            let n = count(g) { "\(s)/enc/in_layers.\($0)/Conv" }
            guard n > 0 else { throw .unsupported("\(s): no WaveNet layers") }
            var wn: [WaveNet.Layer] = []
            for j in 0..<n {
                wn.append(.init(input: heavy(try g.conv("\(s)/enc/in_layers.\(j)/Conv", in: h, out: 2 * h), precision),
                                residualSkip: heavy(try g.conv("\(s)/enc/res_skip_layers.\(j)/Conv", in: h, out: j < n - 1 ? 2 * h : h),
                                                    precision)))
            }
            let cond = try gin.map { (gin) throws(ONNXError) in try g.conv("\(s)/enc/cond_layer/Conv", in: gin, out: 2 * h * n) }
            // Mean-only coupling: post predicts a shift for each channel of the second half.
            let post = heavy(try g.conv("\(s)/post/Conv", in: h, out: half), precision)
            layers.append(ResidualCouplingLayer(pre: pre, wavenet: WaveNet(layers: wn, speakerCondition: cond, hidden: h), post: post))
        }
        guard !layers.isEmpty else { throw .unsupported("no coupling layers under /flow") }
        return try ResidualCouplingFlow(layers: layers)
    }

    // MARK: Decoder

    private static func decoder(_ g: VITSGraphIndex, latent: Int, gin: Int?, precision: VoicePrecision) throws(ONNXError) -> HiFiGANGenerator {
        let pre = heavy(try g.conv("/dec/conv_pre/Conv", in: latent, out: nil), precision)
        let cond = try gin.map { (gin) throws(ONNXError) in try g.conv("/dec/cond/Conv", in: gin, out: pre.outChannels) }
        let stages = count(g) { "/dec/ups.\($0)/ConvTranspose" }
        guard stages > 0 else { throw .unsupported("no upsampling layers under /dec") }
        var ups: [ConvTranspose1d] = []
        var channels = pre.outChannels
        var hop = 1
        for i in 0..<stages {
            let up = heavy(try g.convTranspose("/dec/ups.\(i)/ConvTranspose", in: channels), precision)
            // Each stage must multiply the length exactly by its stride, so samples = frames · hop.
            guard up.kernel - 2 * up.padding == up.stride else {
                throw .unsupported("/dec/ups.\(i): kernel \(up.kernel), padding \(up.padding) and stride \(up.stride) do not upsample exactly")
            }
            hop *= up.stride
            guard hop <= maxHopLength else { throw .unsupported("decoder hop length above \(maxHopLength)") }
            ups.append(up)
            channels = up.outChannels
        }
        // ResBlock2 names its convolutions convs.k; ResBlock1 pairs convs1.k and convs2.k.
        let blocks = count(g) { g.has("/dec/resblocks.\($0)/convs.0/Conv") ? "/dec/resblocks.\($0)/convs.0/Conv" : "/dec/resblocks.\($0)/convs1.0/Conv" }
        guard blocks > 0, blocks % stages == 0 else { throw .unsupported("\(blocks) residual blocks for \(stages) upsamplers") }
        let perStage = blocks / stages
        let slope = g.leakySlope(feeding: "/dec/ups.0/ConvTranspose") ?? 0.1
        var resBlocks: [HiFiGANResBlock] = []
        for b in 0..<blocks {
            let s = "/dec/resblocks.\(b)", c = ups[b / perStage].outChannels
            let pairs = !g.has("\(s)/convs.0/Conv")
            var units: [[Conv1d]] = []
            if pairs {
                for k in 0..<count(g, { "\(s)/convs1.\($0)/Conv" }) {
                    units.append([heavy(try g.conv("\(s)/convs1.\(k)/Conv", in: c, out: c), precision, pairedOutputs: true),
                                  heavy(try g.conv("\(s)/convs2.\(k)/Conv", in: c, out: c), precision, pairedOutputs: true)])
                }
            } else {
                for k in 0..<count(g, { "\(s)/convs.\($0)/Conv" }) {
                    units.append([heavy(try g.conv("\(s)/convs.\(k)/Conv", in: c, out: c), precision, pairedOutputs: true)])
                }
            }
            let blockSlope = g.leakySlope(feeding: "\(s)/\(pairs ? "convs1.0" : "convs.0")/Conv") ?? slope
            resBlocks.append(HiFiGANResBlock(units: units, slope: blockSlope))
        }
        let post = try g.conv("/dec/conv_post/Conv", in: channels, out: 1)
        guard let finalSlope = g.leakySlope(feeding: "/dec/conv_post/Conv") else {
            throw .unsupported("/dec/conv_post is not preceded by a LeakyRelu")
        }
        return HiFiGANGenerator(pre: pre, upsamplers: ups, resBlocks: resBlocks, kernelsPerStage: perStage, post: post,
                                speakerCondition: cond, upsampleSlope: slope, finalSlope: finalSlope)
    }
}
