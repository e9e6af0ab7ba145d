import VoiceKernels

/// A length-preserving 1-D convolution (PyTorch Conv1d, batch 1): dense by the
/// direct kernel (pv_conv1d, at the engine's CPU level, or pv_conv1d_i16 when the weights
/// were made integer), depthwise (groups == channels) as a plain loop. No sum depends on
/// how columns are split between threads, so the audio is the same for any thread count.
struct Conv1d {
    /// (outChannels, inChannels / groups, kernel)
    let weight: WeightBuffer
    /// (outChannels), absent for bias-free layers
    let bias: WeightBuffer?
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let dilation: Int
    /// Zeros before the signal; padLeft + padRight == dilation·(kernel − 1), so the length is kept.
    let padLeft: Int
    let depthwise: Bool
    /// The weights as int16 pairs (VoicePrecision.int16); nil: float products.
    var integer: IntegerConvWeights? = nil
    /// The weights for Winograd's F(4, 4) (VoicePrecision.int16, layers wide enough to gain).
    var winograd: WinogradConvWeights? = nil

    var padRight: Int { dilation * (kernel - 1) - padLeft }

    /// Multiply-adds below this many per thread are not worth waking a thread (~10 µs of work).
    static let minimumWorkPerThread = 1 << 20

    /// Output columns per thread worth splitting off, for work of `perColumn` multiply-adds per column.
    static func minimumColumns(perColumn: Int) -> Int { max(16, minimumWorkPerThread / max(1, perColumn)) }

    /// The input columns that output columns `out` read, within a signal `total` long.
    func inputColumns(for out: Range<Int>, total: Int) -> Range<Int> {
        out.expanded(padLeft, padRight, within: total)
    }

    /// y = conv(x) (+ y when `accumulate`). x (inChannels, T) → y (outChannels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace, accumulate: Bool = false) {
        forward(SignalWindow(x), into: SignalWindow(y), columns: 0 ..< x.length, total: x.length,
                workspace: workspace, accumulate: accumulate)
    }

    /// y[:, out] = conv(x)[:, out] (+ y[:, out] when `accumulate`), in global columns of a
    /// signal `total` long. x must hold `inputColumns(for: out, total:)`; y must hold `out`.
    func forward(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int,
                 workspace: VoiceWorkspace, accumulate: Bool = false) {
        guard !out.isEmpty else { return }
        if depthwise {
            initialize(y, out, accumulate)
            forwardDepthwise(x, into: y, columns: out, total: total)
            return
        }
        let perColumn = outChannels * inChannels * kernel
        if let winograd, Self.winogradFits(out.count, dilation: dilation, chunks: winograd.chunks) {
            forwardWinograd(winograd, x, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate)
            return
        }
        if let integer {
            forwardInteger(integer, x, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate)
            return
        }
        workspace.parallelLayer(rows: outChannels, columns: out, perColumn: perColumn) { rows, part, _ in
            forwardDirect(x, into: y, rows: rows, columns: part, total: total, accumulate: accumulate)
        }
    }

    /// y[:, out] = conv(lrelu(x))[:, out] (+ y[:, out] when `accumulate`), lrelu the leaky ReLU of
    /// `slope`: int16 products take it in their quantization; float products read it from
    /// `scratch` (x's geometry), written here first.
    func forward(leakyReLU slope: Float, _ x: SignalWindow, scratch: SignalWindow, into y: SignalWindow, columns out: Range<Int>,
                 total: Int, workspace: VoiceWorkspace, accumulate: Bool = false) {
        guard !out.isEmpty else { return }
        if let winograd, Self.winogradFits(out.count, dilation: dilation, chunks: winograd.chunks) {
            forwardWinograd(winograd, x, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate, slope: slope)
            return
        }
        if let integer {
            forwardInteger(integer, x, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate, slope: slope)
            return
        }
        let read = inputColumns(for: out, total: total)
        workspace.forEachRow(inChannels, columns: read.count) { c in
            VectorMath.leakyReLU(x.pointer(c, read.lowerBound), into: scratch.pointer(c, read.lowerBound), count: read.count, slope: slope)
        }
        forward(scratch, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate)
    }

    /// Kernels this long or longer gain from paired outputs (`pv_conv1d_i16_paired`). Measured in the
    /// decoder at AVX2, one thread: 5 and 7 taps 1.07–1.16× the direct kernel; 3 taps no gain (the
    /// window's dealing and the sums' combining cost what a sixth of the products saves).
    static let minimumPairedKernel = 5

    /// This convolution with int16 products (dense layers only; itself when the weights cannot be).
    /// `pairedOutputs`: by pairs of outputs where the kernel is long enough. Not for layers whose
    /// weights outweigh their columns (the flows' WaveNets, conv_pre: a window of a few hundred
    /// frames), where the paired weights' extra half costs more than it saves (measured 0.88–0.96×).
    func withIntegerProducts(pairedOutputs: Bool = false, winograd: Bool = false) -> Conv1d {
        guard !depthwise, let q = IntegerConvWeights(weight, outChannels: outChannels, inChannels: inChannels, kernel: kernel,
                                                     paired: pairedOutputs && kernel >= Self.minimumPairedKernel)
        else { return self }
        var c = self
        c.integer = q
        if winograd && kernel >= Self.minimumWinogradKernel && kernel % 4 == 3 && inChannels >= Self.minimumWinogradChannels {
            c.winograd = WinogradConvWeights(weight, outChannels: outChannels, inChannels: inChannels, kernel: kernel)
        }
        return c
    }

    /// Winograd's F(4, 4) for kernels of 4n + 3 taps from 7 (one empty tap in their last chunk of 4) on
    /// this many input channels or more; elsewhere its transforms cost more than its fewer products save
    /// at some level, and every level must give the same bits. In the decoder's residual blocks (int16,
    /// one thread, the bench paragraph), Winograd / paired: AVX2 7 taps 0.76–0.79, 3 taps 0.88–0.93;
    /// AVX-512 7 taps 0.96–1.02, 3 taps 1.3–1.45. Alone (bench/voice-conv-layers.sh, AVX2): 32←32 k7
    /// 0.99–1.09, 64←64 k5 1.01–1.06.
    static let minimumWinogradKernel = 7
    static let minimumWinogradChannels = 64

    /// Whether a thread's column buffer holds the four dealt rows of a window of `columns` outputs
    /// (`pv_winograd_inputs`' scratch); longer windows take the integer products without Winograd.
    static func winogradFits(_ columns: Int, dilation d: Int, chunks: Int) -> Bool {
        let tiles = (columns + 4 * d - 1) / (4 * d) * d + (chunks - 1) * d
        return 4 * (tiles + d + 8) <= VoiceWorkspace.columnCapacity
    }

    /// forward by Winograd's F(4, 4) (`pv_winograd_*`): the input planes transformed (channels split
    /// between threads) and each quantized with one scale over the whole window, then the tiles'
    /// products and output transform (rows or tiles split); no result depends on the split.
    private func forwardWinograd(_ w: WinogradConvWeights, _ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>,
                                 total: Int, workspace: VoiceWorkspace, accumulate: Bool, slope: Float = 1) {
        let planes = WinogradConvWeights.planes, d = dilation
        let tilesOut = (out.count + 4 * d - 1) / (4 * d) * d
        let tiles = tilesOut + (w.chunks - 1) * d
        let read = inputColumns(for: out, total: total)
        let x0 = out.lowerBound - padLeft - x.start, xlo = read.lowerBound - x.start, xhi = read.upperBound - x.start
        let plane = inChannels * tiles, pairRows = (inChannels + 1) / 2
        let ldq = pv_i16_row_columns(tiles), pairPlane = pairRows * 2 * ldq
        // coefficients: (planes, outChannels), then each plane's maximum
        let buffers = workspace.winogradPlanes(floats: planes * plane, pairs: planes * pairPlane, coefficients: planes * (outChannels + 1))
        let coefficients = buffers.coefficients, peak = coefficients + planes * outChannels

        let maxima = workspace.threadPlaneMaxima, threads = workspace.threads
        maxima.update(repeating: 0, count: 8 * threads)
        let perChannel = max(1, tiles * 8)
        workspace.parallel(0 ..< inChannels, minimumPart: max(1, VoiceWorkspace.minimumElementsPerThread / perChannel)) { part, thread in
            pv_winograd_inputs(x.map.data, x.map.length, Int32(part.lowerBound), Int32(part.upperBound), x0, xlo, xhi, Int32(d), tiles,
                               slope, buffers.floats, tiles, plane, maxima + 8 * thread, workspace.columns(thread))
        }
        for j in 0..<planes {
            peak[j] = 0
            for t in 0..<threads { peak[j] = max(peak[j], maxima[8 * t + j]) }
            // x ≈ scale · q for the plane's window (pv_quantize_window_pairs_i16); 0 for silence
            let scale = peak[j] > 0 && peak[j].isFinite ? peak[j] / Float(w.inputLimits[j]) : 0
            for co in 0..<outChannels { coefficients[j * outChannels + co] = w.scales[j * outChannels + co] * scale }
        }
        workspace.parallel(0 ..< pairRows, minimumPart: max(1, VoiceWorkspace.minimumElementsPerThread / max(1, 2 * planes * tiles))) { part, _ in
            for j in 0..<planes {
                pv_quantize_window_pairs_i16(buffers.floats + j * plane, tiles, Int32(inChannels), Int32(part.lowerBound), Int32(part.upperBound),
                                             0, 0, tiles, tiles, w.inputLimits[j], peak[j], 1, buffers.pairs + j * pairPlane, ldq)
            }
        }
        let wordsPerRow = pairRows * w.chunks
        workspace.parallelLayer(rows: outChannels, columns: 0 ..< tilesOut, perColumn: planes * outChannels * inChannels * w.chunks) {
            rows, part, thread in
            pv_winograd_conv(w.pairs + rows.lowerBound * wordsPerRow, w.planeWords, coefficients + rows.lowerBound, outChannels,
                             bias.map { $0.base + rows.lowerBound }, Int32(rows.count), Int32(pairRows), Int32(w.chunks), Int32(d),
                             buffers.pairs, ldq, pairPlane, part.lowerBound, part.upperBound, y.pointer(rows.lowerBound, out.lowerBound),
                             y.map.length, out.count, accumulate ? 1 : 0, workspace.columns(thread),
                             VoiceWorkspace.columnCapacity * MemoryLayout<Float>.size)
        }
    }

    /// forward by 16-bit products of act(x) (act: the leaky ReLU of `slope`, x itself for 1): the
    /// input window quantized once (one scale for all of it, before the columns are split, so the
    /// split does not change the sums), then the parts.
    private func forwardInteger(_ q: IntegerConvWeights, _ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>,
                                total: Int, workspace: VoiceWorkspace, accumulate: Bool, slope: Float = 1) {
        let window = workspace.quantizedWindow(x, channels: inChannels, first: out.lowerBound - padLeft - x.start,
                                               count: out.count + dilation * (kernel - 1), total: total, limit: q.inputLimit,
                                               slope: slope)
        let wordsPerRow = (inChannels + 1) / 2 * kernel   // int32 weight words (int16 pairs) per output row
        workspace.parallelLayer(rows: outChannels, columns: out, perColumn: outChannels * inChannels * kernel) { rows, part, thread in
            let t0 = part.lowerBound - out.lowerBound
            let wq = q.pairs + rows.lowerBound * wordsPerRow, scales = q.scales + rows.lowerBound
            let b = bias.map { $0.base + rows.lowerBound }, yp = y.pointer(rows.lowerBound, part.lowerBound)
            if let paired = q.paired?.from(row: rows.lowerBound) {
                pv_conv1d_i16_paired(wq, paired.even, paired.odd, paired.sum, scales, b, Int32(rows.count), Int32(inChannels),
                                     Int32(kernel), Int32(dilation), window.data + 2 * t0, window.rowColumns, window.rowColumns - t0,
                                     window.scale, yp, y.map.length, part.count, accumulate ? 1 : 0, workspace.columns(thread),
                                     VoiceWorkspace.columnCapacity * MemoryLayout<Float>.size)
            } else {
                pv_conv1d_i16(wq, scales, b, Int32(rows.count), Int32(inChannels), Int32(kernel), Int32(dilation),
                              window.data + 2 * t0, window.rowColumns, window.scale, yp, y.map.length, part.count, accumulate ? 1 : 0)
            }
        }
    }

    /// Starts y[:, out] from the bias (or adds it to what is there) for the depthwise loop.
    private func initialize(_ y: SignalWindow, _ out: Range<Int>, _ accumulate: Bool) {
        for co in 0..<outChannels {
            let b = bias?[co] ?? 0
            let row = y.pointer(co, out.lowerBound)
            if accumulate {
                if b != 0 { for i in 0..<out.count { row[i] += b } }
            } else {
                row.update(repeating: b, count: out.count)
            }
        }
    }

    /// y[rows, out] (+)= b + W ⊛ x straight from x's rows (all output rows when `rows` is nil);
    /// columns of x outside [0, total) read as zero.
    func forwardDirect(_ x: SignalWindow, into y: SignalWindow, rows: Range<Int>? = nil, columns out: Range<Int>, total: Int,
                       accumulate: Bool) {
        let rows = rows ?? 0 ..< outChannels
        // Window-local input columns: output column t reads x0 + (t − out.lower) + j·dilation.
        let x0 = out.lowerBound - padLeft - x.start
        pv_conv1d(weight.base + rows.lowerBound * inChannels * kernel, bias.map { $0.base + rows.lowerBound }, Int32(rows.count),
                  Int32(inChannels), Int32(kernel), Int32(dilation), x.map.data, x.map.length, x0, 0,
                  min(x.map.length, total - x.start), y.pointer(rows.lowerBound, out.lowerBound), y.map.length, out.count,
                  accumulate ? 1 : 0)
    }

    /// One filter per channel: y[c, i] += Σ_k W[c, k] · x[c, i + k·dilation − padLeft].
    private func forwardDepthwise(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int) {
        for c in 0..<outChannels {
            let w = weight.base + c * kernel
            for k in 0..<kernel {
                let wk = w[k]
                let shift = k * dilation - padLeft
                let lo = max(out.lowerBound, -shift), hi = min(out.upperBound, total - shift)
                guard lo < hi else { continue }
                let src = x.pointer(c, lo + shift), dst = y.pointer(c, lo)
                for i in 0..<(hi - lo) { dst[i] += wk * src[i] }
            }
        }
    }
}
