// The struct_size rule of parley.h ("Struct versions"), in one place for every
// struct that crosses the ABI: params are read over defaults, outputs are written
// up to the caller's size, anything below the frozen V1 size is refused.
import ParleyABI

/// A struct_size below the first published size of the struct.
struct StructSizeError: Error {
    let message: String
}

enum VersionedStruct {
    /// The caller's struct_size, read as raw bytes: the caller's struct may be
    /// smaller than ours, so it must never be loaded as a whole `T`.
    static func callerSize(_ p: UnsafeRawPointer) -> Int {
        p.loadUnaligned(as: Int.self)
    }

    static func checkSize(_ size: Int, v1Size: Int, _ what: String) throws(StructSizeError) {
        guard size >= v1Size else {
            throw StructSizeError(message: "\(what): struct_size is \(size), smaller than the first version's \(v1Size) bytes; "
                                  + "set it to sizeof() (the *_default_params() functions do)")
        }
    }

    /// The caller's params: `defaults`, with its first min(struct_size, sizeof) bytes copied
    /// over them. Fields a newer header added keep their defaults for an older caller;
    /// fields a newer caller has beyond ours are ignored.
    static func read<T>(_ p: UnsafePointer<T>, defaults: T, v1Size: Int, _ what: String) throws(StructSizeError) -> T {
        let size = callerSize(UnsafeRawPointer(p))
        try checkSize(size, v1Size: v1Size, what)
        var value = defaults
        withUnsafeMutableBytes(of: &value) { dst in
            guard let base = dst.baseAddress else { return }
            base.copyMemory(from: UnsafeRawPointer(p), byteCount: min(size, dst.count))
        }
        return value
    }

    /// Writes `value` into the caller's struct, at most its struct_size bytes (an older
    /// caller's struct ends before our newer fields), keeping its struct_size as set.
    static func write<T>(_ value: T, to p: UnsafeMutablePointer<T>, v1Size: Int, _ what: String) throws(StructSizeError) {
        let size = callerSize(UnsafeRawPointer(p))
        try checkSize(size, v1Size: v1Size, what)
        var full = value
        withUnsafeMutableBytes(of: &full) { src in
            guard let base = src.baseAddress else { return }
            // struct_size is the first field (size_t), so the caller's value survives the copy.
            base.storeBytes(of: size, as: Int.self)
            UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: min(size, src.count))
        }
    }
}

/// PARLEY_*_V1_SIZE as Swift Ints (the header's macros import as Int32).
let runtimeParamsV1Size = Int(PARLEY_RUNTIME_PARAMS_V1_SIZE)
let npcParamsV1Size = Int(PARLEY_NPC_PARAMS_V1_SIZE)
let eventV1Size = Int(PARLEY_EVENT_V1_SIZE)
let statsV1Size = Int(PARLEY_STATS_V1_SIZE)

func fail(_ error: StructSizeError) -> parley_status {
    fail(PARLEY_ERR_STRUCT_SIZE, error.message)
}
