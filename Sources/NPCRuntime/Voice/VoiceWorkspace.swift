import VoiceKernels

/// Scratch for one synthesis: buffers are taken at the start of each stage and
/// reused by all its layers, then freed together when the workspace goes, or kept
/// for the next sentence (`reset`) so that a voice in steady use takes no fresh pages.
/// With a pool, the convolutions split their columns across its threads;
/// each thread has its own column buffer.
final class VoiceWorkspace {
    /// The maps handed out (pointer, capacity) and those free again after a `reset`.
    private var blocks: [(data: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private var freeBlocks: [(data: UnsafeMutablePointer<Float>, capacity: Int)] = []
    /// Output tiles of the transposed convolution's phases, one buffer per pool thread.
    private let columnBuffers: [UnsafeMutablePointer<Float>]
    /// One slot per pool thread for the parts' maxima of a quantized window.
    private let threadMaxima: UnsafeMutablePointer<Float>
    private var threadCount: Int { columnBuffers.count }
    let pool: ThreadPool?
    /// Floats per column buffer: 1 MiB, so a phase's tile stays in L2 until it is interleaved.
    static let columnCapacity = 1 << 18

    init(pool: ThreadPool? = nil) {
        self.pool = pool
        columnBuffers = (0..<(pool?.count ?? 1)).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: Self.columnCapacity) }
        threadMaxima = .allocate(capacity: columnBuffers.count)
        threadPlaneMaxima = .allocate(capacity: 8 * columnBuffers.count)
    }

    /// The quantized input window of the integer convolutions (quantizedWindow).
    private var int16Buffer = GrowingBuffer<Int16>()
    /// Winograd's input planes, float then quantized, and the layer's coefficients (winogradPlanes).
    private var planeFloats = GrowingBuffer<Float>()
    private var planePairs = GrowingBuffer<Int16>()
    private var planeCoefficients = GrowingBuffer<Float>()
    /// Per pool thread, the 7 planes' maxima (8 floats a thread).
    let threadPlaneMaxima: UnsafeMutablePointer<Float>

    deinit {
        for c in columnBuffers { c.deallocate() }
        threadMaxima.deallocate()
        for b in blocks + freeBlocks { b.data.deallocate() }
        threadPlaneMaxima.deallocate()
        for b in [int16Buffer, planePairs] { b.free() }
        for b in [planeFloats, planeCoefficients] { b.free() }
    }

    /// Buffers of at least `floats` floats and `pairs` int16 values for Winograd's input planes, and
    /// `coefficients` floats (Conv1d's Winograd path), valid until the next call: layers run one at a time.
    func winogradPlanes(floats: Int, pairs: Int, coefficients: Int)
        -> (floats: UnsafeMutablePointer<Float>, pairs: UnsafeMutablePointer<Int16>, coefficients: UnsafeMutablePointer<Float>) {
        (planeFloats.reserve(floats), planePairs.reserve(pairs), planeCoefficients.reserve(coefficients))
    }

    var threads: Int { threadCount }

    /// Columns `first ..< first + count` (window-local) of act(x)'s `channels` rows, quantized for
    /// the 16-bit products with one scale, act(v) = v < 0 ? slope·v : v (`pv_absmax_i16_input`,
    /// `pv_quantize_window_pairs_i16`; columns outside the signal `total` long are zeros). Both
    /// passes split channel pairs between the pool's threads; the maximum of parts is the whole's,
    /// so the window does not depend on the split. Valid until the next call: layers run one at a time.
    func quantizedWindow(_ x: SignalWindow, channels: Int, first: Int, count: Int, total: Int, limit: Int32,
                         slope: Float = 1) -> QuantizedWindow {
        let rowColumns = pv_i16_row_columns(count)
        let pairs = (channels + 1) / 2
        let size = pairs * 2 * rowColumns
        let data = int16Buffer.reserve(size)
        let xhi = min(x.map.length, total - x.start)
        let c0 = max(first, 0), c1 = min(first + count, xhi)
        let minimumPairs = max(1, Self.minimumElementsPerThread / max(1, 2 * (c1 - c0)))
        let maxima = threadMaxima
        maxima.update(repeating: 0, count: threadCount)
        parallel(0 ..< pairs, minimumPart: minimumPairs) { part, thread in
            let rows = min(2 * part.upperBound, channels) - 2 * part.lowerBound
            let m = pv_absmax_i16_input(x.map.data + 2 * part.lowerBound * x.map.length, x.map.length, Int32(rows), c0, c1, slope)
            maxima[thread] = max(maxima[thread], m)
        }
        var m: Float = 0
        for t in 0..<threadCount { m = max(m, maxima[t]) }
        parallel(0 ..< pairs, minimumPart: minimumPairs) { part, _ in
            pv_quantize_window_pairs_i16(x.map.data, x.map.length, Int32(channels), Int32(part.lowerBound), Int32(part.upperBound),
                                         first, 0, xhi, count, limit, m, slope, data, rowColumns)
        }
        let scale = m > 0 && m.isFinite && limit > 0 ? m / Float(limit) : 0
        return QuantizedWindow(data: data, rowColumns: rowColumns, first: first, scale: scale)
    }

    /// The column buffer of pool thread `thread`.
    func columns(_ thread: Int) -> UnsafeMutablePointer<Float> { columnBuffers[thread] }

    /// A zero-filled (channels, length) map: the smallest free block that holds it, else a new one.
    func map(_ channels: Int, _ length: Int) -> FeatureMap {
        let n = max(1, channels * length)
        var best: Int?
        for (i, b) in freeBlocks.enumerated() where b.capacity >= n && b.capacity < (best.map { freeBlocks[$0].capacity } ?? .max) {
            best = i
        }
        let block = best.map { freeBlocks.remove(at: $0) } ?? (data: UnsafeMutablePointer<Float>.allocate(capacity: n), capacity: n)
        block.data.initialize(repeating: 0, count: n)
        blocks.append(block)
        return FeatureMap(data: block.data, channels: channels, length: length)
    }

    /// Takes back every map handed out, for the next synthesis on this workspace: those of the last
    /// synthesis stay, those it did not use go (so the memory kept is one synthesis's).
    func reset() {
        for b in freeBlocks { b.data.deallocate() }
        freeBlocks = blocks
        blocks.removeAll(keepingCapacity: true)
    }

    /// A zero-filled buffer of `count` floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> { map(1, count).data }

    /// Runs `body(part, thread)` over `range` cut into contiguous parts, a few per
    /// pool thread (fewer when parts would be shorter than `minimumPart`). Several
    /// parts per thread let the others finish the work of a thread the OS has
    /// descheduled (the game's own threads share the cores).
    /// Parts start at multiples of `alignment` from the range's start (a kernel's tile width).
    func parallel(_ range: Range<Int>, minimumPart: Int, alignment: Int = 1, _ body: (Range<Int>, Int) -> Void) {
        let units = (range.count + alignment - 1) / max(1, alignment)
        let parts = min(4 * (pool?.activeCount ?? 1), units, max(1, range.count / max(1, minimumPart)))
        guard parts > 1, let pool, pool.activeCount > 1 else {
            if !range.isEmpty { body(range, 0) }
            return
        }
        let lo = range.lowerBound
        pool.run(chunks: parts) { part, thread in
            let a = lo + units * part / parts * alignment, b = min(range.upperBound, lo + units * (part + 1) / parts * alignment)
            if a < b { body(a ..< b, thread) }
        }
    }

    /// Output columns a part of a layer starts on: a multiple of every level's register tile
    /// width (16 columns for AVX2, 32 for AVX-512's int16, 16·nv for its float), so only a layer's
    /// last part ends in a partial tile.
    static let columnAlignment = 32
    /// Output rows a part of a layer starts on: a multiple of every level's tile rows (6 or 4
    /// for AVX2, 8 for AVX-512).
    static let rowAlignment = 24

    /// Runs `body(rows, columns, thread)` over the output of a dense layer (`rows` × `out`,
    /// `perColumn` multiply-adds a column), cut between the pool's threads on tile boundaries:
    /// by columns when there are enough for a few parts a thread, else by rows (a short
    /// sentence in the text encoder, a flow window), where cutting columns would leave each
    /// part a partial tile. Every output is summed the same way whatever the cut.
    func parallelLayer(rows: Int, columns out: Range<Int>, perColumn: Int,
                       _ body: (_ rows: Range<Int>, _ columns: Range<Int>, _ thread: Int) -> Void) {
        let threads = pool?.activeCount ?? 1
        let minimumColumns = max(2 * Self.columnAlignment, Conv1d.minimumColumns(perColumn: perColumn))
        if threads == 1 || out.count / minimumColumns >= 2 * threads {
            parallel(out, minimumPart: minimumColumns, alignment: Self.columnAlignment) { part, thread in
                body(0 ..< rows, part, thread)
            }
            return
        }
        let perRow = max(1, out.count * perColumn / max(1, rows))
        parallel(0 ..< rows, minimumPart: max(1, Conv1d.minimumWorkPerThread / perRow), alignment: Self.rowAlignment) { part, thread in
            body(part, out, thread)
        }
    }

    /// Elementwise work below this many floats per thread is not worth waking a thread.
    static let minimumElementsPerThread = 1 << 15

    /// Elementwise work dearer than a load and a store (erf, tanh, exp) pays for a thread sooner.
    static let minimumTranscendentalsPerThread = 1 << 11

    /// Runs `body(row)` for every row in 0..<rows (each `columns` long), rows split across the pool
    /// in parts of at least `minimumElements`.
    func forEachRow(_ rows: Int, columns: Int, minimumElements: Int = minimumElementsPerThread, _ body: (Int) -> Void) {
        parallel(0 ..< rows, minimumPart: max(1, minimumElements / max(1, columns))) { part, _ in
            for r in part { body(r) }
        }
    }
}

/// A buffer that only grows (to at least twice its size, so that a few calls reach the largest),
/// freed by its owner's deinit.
private struct GrowingBuffer<Element> {
    private var pointer: UnsafeMutablePointer<Element>?
    private var capacity = 0

    /// At least `count` elements, uninitialized (or what an earlier user left).
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if let pointer, count <= capacity { return pointer }
        pointer?.deallocate()
        capacity = max(count, 2 * capacity)
        let p = UnsafeMutablePointer<Element>.allocate(capacity: max(1, capacity))
        pointer = p
        return p
    }

    func free() { pointer?.deallocate() }
}
