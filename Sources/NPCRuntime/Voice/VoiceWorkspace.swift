import VoiceKernels

/// Scratch for one synthesis: buffers are taken at the start of each stage and
/// reused by all its layers, then freed together when the workspace goes.
/// With a pool, the convolutions split their columns across its threads;
/// each thread has its own column buffer.
final class VoiceWorkspace {
    private var blocks: [UnsafeMutablePointer<Float>] = []
    /// Output tiles of the transposed convolution's phases, one buffer per pool thread.
    private let columnBuffers: [UnsafeMutablePointer<Float>]
    let pool: ThreadPool?
    /// Floats per column buffer: 1 MiB, so a phase's tile stays in L2 until it is interleaved.
    static let columnCapacity = 1 << 18

    init(pool: ThreadPool? = nil) {
        self.pool = pool
        columnBuffers = (0..<(pool?.count ?? 1)).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: Self.columnCapacity) }
    }

    /// The quantized input window of the integer convolutions (quantizedWindow), grown as needed.
    private var int16Buffer: UnsafeMutablePointer<Int16>?
    private var int16Capacity = 0

    deinit {
        for c in columnBuffers { c.deallocate() }
        for b in blocks { b.deallocate() }
        int16Buffer?.deallocate()
    }

    /// Columns `first ..< first + count` (window-local) of x's `channels` rows, quantized for the
    /// 16-bit products with one scale (`pv_quantize_window_i16`; columns outside the signal
    /// `total` long are zeros). Valid until the next call: layers run one at a time.
    func quantizedWindow(_ x: SignalWindow, channels: Int, first: Int, count: Int, total: Int, limit: Int32) -> QuantizedWindow {
        let rowColumns = pv_i16_row_columns(count)
        let size = (channels + 1) / 2 * 2 * rowColumns
        let data: UnsafeMutablePointer<Int16>
        if let b = int16Buffer, size <= int16Capacity {
            data = b
        } else {
            int16Buffer?.deallocate()
            int16Capacity = max(size, 2 * int16Capacity)
            data = .allocate(capacity: max(1, int16Capacity))
            int16Buffer = data
        }
        let scale = pv_quantize_window_i16(x.map.data, x.map.length, Int32(channels), first, 0, min(x.map.length, total - x.start),
                                           count, limit, data, rowColumns)
        return QuantizedWindow(data: data, rowColumns: rowColumns, first: first, scale: scale)
    }

    /// The column buffer of pool thread `thread`.
    func columns(_ thread: Int) -> UnsafeMutablePointer<Float> { columnBuffers[thread] }

    /// A zero-filled (channels, length) map.
    func map(_ channels: Int, _ length: Int) -> FeatureMap {
        let n = max(1, channels * length)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        blocks.append(p)
        return FeatureMap(data: p, channels: channels, length: length)
    }

    /// A zero-filled buffer of `count` floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> { map(1, count).data }

    /// Runs `body(part, thread)` over `range` cut into contiguous parts, a few per
    /// pool thread (fewer when parts would be shorter than `minimumPart`). Several
    /// parts per thread let the others finish the work of a thread the OS has
    /// descheduled (the game's own threads share the cores).
    func parallel(_ range: Range<Int>, minimumPart: Int, _ body: (Range<Int>, Int) -> Void) {
        let parts = min(4 * (pool?.activeCount ?? 1), max(1, range.count / max(1, minimumPart)))
        guard parts > 1, let pool, pool.activeCount > 1 else {
            if !range.isEmpty { body(range, 0) }
            return
        }
        let lo = range.lowerBound, n = range.count
        pool.run(chunks: parts) { part, thread in
            let a = lo + n * part / parts, b = lo + n * (part + 1) / parts
            if a < b { body(a ..< b, thread) }
        }
    }

    /// Elementwise work below this many floats per thread is not worth waking a thread.
    static let minimumElementsPerThread = 1 << 15

    /// Runs `body(row)` for every row in 0..<rows (each `columns` long), rows split across the pool.
    func forEachRow(_ rows: Int, columns: Int, _ body: (Int) -> Void) {
        parallel(0 ..< rows, minimumPart: max(1, Self.minimumElementsPerThread / max(1, columns))) { part, _ in
            for r in part { body(r) }
        }
    }
}
