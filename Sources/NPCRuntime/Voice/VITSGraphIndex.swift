/// Finds a VITS voice's weights by graph position: the node that consumes an
/// initializer (named by the export's module scope, e.g. `/flow/flows.0/enc/in_layers.2/Conv`)
/// says what it is, whatever the initializer itself is called (weight-normed
/// convolutions are anonymous `onnx::Conv_*`, and the phoneme table may be named `sid`).
/// Every shape and attribute is checked before a layer is built from it.
struct VITSGraphIndex {
    let graph: ONNXGraph
    private let producers: [String: Int]
    private let consumers: [String: [Int]]

    static let maxChannels = 8192
    static let maxKernel = 64
    static let maxDilation = 1024

    init(_ graph: ONNXGraph) {
        self.graph = graph
        var producers: [String: Int] = [:]
        var consumers: [String: [Int]] = [:]
        for (i, n) in graph.nodes.enumerated() {
            for o in n.outputs where !o.isEmpty { producers[o] = i }
            for x in n.inputs where !x.isEmpty { consumers[x, default: []].append(i) }
        }
        self.producers = producers
        self.consumers = consumers
    }

    func has(_ name: String) -> Bool { graph.node(named: name) != nil }

    func node(_ name: String) throws(ONNXError) -> ONNXNode {
        guard let n = graph.node(named: name) else { throw .unsupported("no node \(name) in the graph (not a Piper VITS voice?)") }
        return n
    }

    /// The node that computes `tensor`, if any.
    func producer(of tensor: String) -> ONNXNode? {
        producers[tensor].map { graph.nodes[$0] }
    }

    /// The initializer fed to `node` at input `slot`.
    func initializer(_ node: ONNXNode, _ slot: Int) throws(ONNXError) -> ONNXTensor {
        guard slot < node.inputs.count, let t = graph.initializers[node.inputs[slot]] else {
            throw .unsupported("node \(node.name): input \(slot) is not a stored weight")
        }
        return t
    }

    /// Float values of `t`, whose shape must match `dims` (nil entries match anything).
    func floats(_ t: ONNXTensor, _ dims: [Int?], of node: ONNXNode) throws(ONNXError) -> WeightBuffer {
        guard t.dims.count == dims.count, zip(t.dims, dims).allSatisfy({ $1 == nil || $0 == $1 }) else {
            let want = dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
            throw .unsupported("node \(node.name): weight \(t.name) has shape \(t.dims), expected [\(want)]")
        }
        return try graph.floats(t)
    }

    /// A dimension read from a file, bounded before it sizes anything.
    static func checked(_ v: Int, _ what: String, max: Int = maxChannels) throws(ONNXError) -> Int {
        guard v >= 1, v <= max else { throw .unsupported("\(what) = \(v) is out of range 1...\(max)") }
        return v
    }

    // MARK: Layers

    /// The Conv node `name`: weight (out, in/groups, kernel), optional bias, and padding
    /// from its `pads` or from a constant Pad node feeding it (VITS's FFN pads that way).
    func conv(_ name: String, in inChannels: Int?, out outChannels: Int?, depthwise: Bool = false) throws(ONNXError) -> Conv1d {
        let n = try node(name)
        guard n.opType == "Conv" else { throw .unsupported("node \(name) is \(n.opType), expected Conv") }
        let wt = try initializer(n, 1)
        guard wt.dims.count == 3 else { throw .unsupported("node \(name): weight shape \(wt.dims) is not 1-D convolution") }
        let cout = try Self.checked(wt.dims[0], "\(name) output channels")
        let kernel = try Self.checked(wt.dims[2], "\(name) kernel", max: Self.maxKernel)
        let group = Int(n.int("group") ?? 1)
        let cin: Int
        if depthwise {
            guard group == cout, wt.dims[1] == 1 else { throw .unsupported("node \(name): expected a depthwise convolution, group \(group)") }
            cin = cout
        } else {
            guard group == 1 else { throw .unsupported("node \(name): grouped convolution (group \(group))") }
            cin = try Self.checked(wt.dims[1], "\(name) input channels")
        }
        if let inChannels, cin != inChannels { throw .unsupported("node \(name): \(cin) input channels, expected \(inChannels)") }
        if let outChannels, cout != outChannels { throw .unsupported("node \(name): \(cout) output channels, expected \(outChannels)") }
        if let ks = n.ints("kernel_shape"), ks != [Int64(kernel)] { throw .malformed("node \(name): kernel_shape \(ks) vs weight \(wt.dims)") }
        if let s = n.ints("strides"), s != [1] { throw .unsupported("node \(name): strides \(s)") }
        if case let .string(p) = n.attribute("auto_pad"), p != "NOTSET" { throw .unsupported("node \(name): auto_pad \(p)") }
        let dilations = n.ints("dilations") ?? [1]
        guard dilations.count == 1, dilations[0] >= 1, dilations[0] <= Int64(Self.maxDilation) else {
            throw .unsupported("node \(name): dilations \(dilations)")
        }
        let dilation = Int(dilations[0])
        var pads = n.ints("pads") ?? [0, 0]
        guard pads.count == 2 else { throw .unsupported("node \(name): pads \(pads)") }
        if let pad = producer(of: n.inputs[0]), pad.opType == "Pad" {
            let extra = try timePadding(pad)
            pads[0] += extra.0
            pads[1] += extra.1
        }
        guard pads[0] >= 0, pads[1] >= 0, pads[0] + pads[1] == Int64(dilation * (kernel - 1)) else {
            throw .unsupported("node \(name): pads \(pads) do not keep the length (kernel \(kernel), dilation \(dilation))")
        }
        let weight = try floats(wt, [cout, depthwise ? 1 : cin, kernel], of: n)
        let bias = n.inputs.count > 2 && !n.inputs[2].isEmpty ? try floats(try initializer(n, 2), [cout], of: n) : nil
        return Conv1d(weight: weight, bias: bias, inChannels: cin, outChannels: cout, kernel: kernel,
                      dilation: dilation, padLeft: Int(pads[0]), depthwise: depthwise)
    }

    /// (before, after) zeros a constant Pad node adds on the time axis of a (batch, channels, time) tensor.
    private func timePadding(_ pad: ONNXNode) throws(ONNXError) -> (Int64, Int64) {
        if case let .string(mode) = pad.attribute("mode"), mode != "constant" {
            throw .unsupported("node \(pad.name): \(mode) padding")
        }
        if pad.inputs.count > 2, !pad.inputs[2].isEmpty {
            let value = try graph.floats(try initializer(pad, 2))
            guard value.count == 1, value[0] == 0 else { throw .unsupported("node \(pad.name): non-zero pad value") }
        }
        let p = try graph.integers(try initializer(pad, 1))
        guard p.count == 6, p[0] == 0, p[1] == 0, p[3] == 0, p[4] == 0, (0...64).contains(p[2]), (0...64).contains(p[5]) else {
            throw .unsupported("node \(pad.name): pads \(p) are not time-only")
        }
        return (p[2], p[5])
    }

    /// The ConvTranspose node `name`: weight (in, out, kernel), stride, symmetric padding.
    func convTranspose(_ name: String, in inChannels: Int) throws(ONNXError) -> ConvTranspose1d {
        let n = try node(name)
        guard n.opType == "ConvTranspose" else { throw .unsupported("node \(name) is \(n.opType), expected ConvTranspose") }
        let wt = try initializer(n, 1)
        guard wt.dims.count == 3 else { throw .unsupported("node \(name): weight shape \(wt.dims)") }
        let cout = try Self.checked(wt.dims[1], "\(name) output channels")
        let kernel = try Self.checked(wt.dims[2], "\(name) kernel", max: Self.maxKernel)
        guard (n.int("group") ?? 1) == 1 else { throw .unsupported("node \(name): grouped transposed convolution") }
        guard (n.ints("dilations") ?? [1]) == [1] else { throw .unsupported("node \(name): dilated transposed convolution") }
        if let op = n.ints("output_padding"), op.contains(where: { $0 != 0 }) { throw .unsupported("node \(name): output_padding \(op)") }
        if n.ints("output_shape") != nil { throw .unsupported("node \(name): explicit output_shape") }
        if let ks = n.ints("kernel_shape"), ks != [Int64(kernel)] { throw .malformed("node \(name): kernel_shape \(ks) vs weight \(wt.dims)") }
        let strides = n.ints("strides") ?? [1]
        guard strides.count == 1, strides[0] >= 1, strides[0] <= Int64(kernel) else { throw .unsupported("node \(name): strides \(strides)") }
        let pads = n.ints("pads") ?? [0, 0]
        guard pads.count == 2, pads[0] == pads[1], pads[0] >= 0, 2 * pads[0] < Int64(kernel) else {
            throw .unsupported("node \(name): pads \(pads)")
        }
        let weight = try floats(wt, [inChannels, cout, kernel], of: n)
        let bias = n.inputs.count > 2 && !n.inputs[2].isEmpty ? try floats(try initializer(n, 2), [cout], of: n) : nil
        return ConvTranspose1d(weight: weight, bias: bias, inChannels: inChannels, outChannels: cout,
                               kernel: kernel, stride: Int(strides[0]), padding: Int(pads[0]))
    }

    /// VITS LayerNorm under `scope`: gamma is the constant multiplied in `scope/Mul`,
    /// beta the one added in `scope/Add_1` (after the normalising Add of eps).
    func layerNorm(_ scope: String, channels: Int) throws(ONNXError) -> ChannelLayerNorm {
        let mul = try node(scope + "/Mul"), add = try node(scope + "/Add_1")
        let gamma = try floats(try initializer(mul, 1), [channels], of: mul)
        let beta = try floats(try initializer(add, 1), [channels], of: add)
        return ChannelLayerNorm(gamma: gamma, beta: beta, channels: channels)
    }

    /// The slope of the LeakyRelu whose output node `name` reads first, if one does.
    func leakySlope(feeding name: String) -> Float? {
        guard let input = graph.node(named: name)?.inputs.first, let n = producer(of: input), n.opType == "LeakyRelu" else { return nil }
        return n.float("alpha") ?? 0.01
    }

    // MARK: Reachability

    /// Indices of the nodes reachable forward from `tensor` without leaving
    /// nodes whose names start with `scope`.
    func cone(from tensor: String, within scope: String) -> Set<Int> {
        var pending = [tensor]
        var seen: Set<Int> = []
        while let x = pending.popLast() {
            for i in consumers[x] ?? [] where !seen.contains(i) && graph.nodes[i].name.hasPrefix(scope) {
                seen.insert(i)
                pending.append(contentsOf: graph.nodes[i].outputs)
            }
        }
        return seen
    }

    /// Initializers consumed by nodes under `scope` (deduplicated, graph order).
    func initializers(under scope: String) -> [(node: ONNXNode, tensor: ONNXTensor)] {
        var out: [(ONNXNode, ONNXTensor)] = []
        var seen: Set<String> = []
        for n in graph.nodes where n.name.hasPrefix(scope) {
            for x in n.inputs where !seen.contains(x) {
                if let t = graph.initializers[x] {
                    seen.insert(x)
                    out.append((n, t))
                }
            }
        }
        return out
    }
}
