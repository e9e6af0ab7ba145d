#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, memory-mapped file. Weights stay in the page cache and are
/// shared by every NPC; nothing is copied into the heap.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    /// Start of the mapping (nil for an empty file). Valid for the object's lifetime.
    public let base: UnsafeRawPointer?

    public init(path: String) throws(RuntimeError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            if err == ENOENT { throw RuntimeError(.fileNotFound, "\(path): no such file") }
            throw RuntimeError(.io, "\(path): cannot open (\(Self.describe(err)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RuntimeError(.io, "\(path): cannot stat (\(Self.describe(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw RuntimeError(.io, "\(path): not a regular file") }
        size = Int(st.st_size)
        if size == 0 { base = nil; return }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw RuntimeError(.io, "\(path): mmap failed (\(Self.describe(errno)))") }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The whole file as bytes (borrowed from the mapping).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    static func describe(_ err: Int32) -> String {
        guard let s = strerror(err) else { return "errno \(err)" }
        return String(cString: s)
    }
}

/// Reads a whole small file (configs, scripts) into memory.
public func readSmallFile(_ path: String, limit: Int = 64 << 20) throws(RuntimeError) -> [UInt8] {
    let file = try MappedFile(path: path)
    guard file.size <= limit else { throw RuntimeError(.io, "\(path): \(file.size) bytes is larger than the \(limit)-byte limit") }
    return Array(file.bytes)
}
