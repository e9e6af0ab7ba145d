import Foundation

/// The player's keyboard for `parley play`, read without blocking so the game keeps
/// running while the player types. On a terminal it reads key by key (canonical mode
/// and echo off, echoing itself) so the first key pressed while an NPC talks can cut
/// the NPC off; piped input arrives line by line. `restore()` (also on Ctrl-C) puts
/// the terminal back.
final class TerminalInput {
    enum Event: Equatable {
        /// A key was pressed (the first of a line): the barge-in signal.
        case key
        case line(String)
        case eof
    }

    let isTerminal: Bool
    private var buffer: [UInt8] = []
    private var rawMode = false

    init() {
        isTerminal = isatty(0) == 1
        guard isTerminal else { return }
        var t = termios()
        guard tcgetattr(0, &t) == 0 else { return }
        savedTerminal = t
        var raw = t
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(0, TCSANOW, &raw) == 0 else { return }
        rawMode = true
        signal(SIGINT) { _ in
            tcsetattr(0, TCSANOW, &savedTerminal)
            _exit(130)
        }
    }

    deinit { restore() }

    func restore() {
        guard rawMode else { return }
        tcsetattr(0, TCSANOW, &savedTerminal)
        rawMode = false
    }

    /// What arrived within `timeoutMs` (empty when nothing did).
    func poll(timeoutMs: Int32) -> [Event] {
        var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&fds, 1, timeoutMs) > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 256)
        let n = read(0, &chunk, chunk.count)
        if n <= 0 { return buffer.isEmpty ? [.eof] : [.line(take()), .eof] }
        var events: [Event] = []
        for byte in chunk.prefix(n) {
            switch byte {
            case 10, 13:
                if isTerminal { echo(Array("\n".utf8)) }
                events.append(.line(take()))
            case 4 where buffer.isEmpty && isTerminal:  // Ctrl-D on an empty line
                events.append(.eof)
            case 127, 8:
                guard isTerminal, !buffer.isEmpty else { break }
                // drop one UTF-8 character (its continuation bytes first)
                while let last = buffer.popLast(), last & 0xC0 == 0x80 {}
                echo([8, 32, 8])
            default:
                if buffer.isEmpty { events.append(.key) }
                buffer.append(byte)
                if isTerminal { echo([byte]) }
            }
        }
        return events
    }

    /// What the player has typed of the current line (re-shown after a new prompt).
    var typed: String { String(decoding: buffer, as: UTF8.self) }

    private func take() -> String {
        defer { buffer = [] }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Unbuffered, like the game's output, so the two never reorder.
    private func echo(_ bytes: [UInt8]) { Console.write(1, bytes) }
}

/// The terminal's settings before play, for the Ctrl-C handler (a C function pointer
/// cannot capture an instance).
nonisolated(unsafe) private var savedTerminal = termios()
