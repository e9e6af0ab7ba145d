import Foundation

/// Unbuffered writes to stdout and stderr: `parley play` interleaves the game's
/// output with the player's echoed keys, so nothing may wait in a stdio buffer.
enum Console {
    static func out(_ s: String) { write(1, Array(s.utf8)) }
    static func err(_ s: String) { write(2, Array(s.utf8)) }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
