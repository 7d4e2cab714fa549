import Dispatch
import Foundation
import Glibc
import MLExClient
import Synchronization

/// The terminal `mlex` runs in, while it is attached to a session: raw mode (every key goes to
/// the remote shell, which echoes and edits lines itself, as ssh does), its window's size, and
/// the signals that change or end the attachment.
final class LocalTerminal: Sendable {
    let descriptor: Int32
    private let saved = Mutex<termios?>(nil)

    init(descriptor: Int32 = STDIN_FILENO) { self.descriptor = descriptor }

    /// Puts the terminal in raw mode (cfmakeraw) until `restore()`.
    func enterRawMode() throws {
        var original = termios()
        guard tcgetattr(descriptor, &original) == 0 else {
            throw ClientError.usage("cannot read the terminal's mode: \(String(cString: strerror(errno)))")
        }
        var raw = original
        cfmakeraw(&raw)
        saved.withLock { $0 = original }
        guard tcsetattr(descriptor, TCSANOW, &raw) == 0 else {
            restore()
            throw ClientError.usage("cannot put the terminal in raw mode: \(String(cString: strerror(errno)))")
        }
    }

    /// The mode it had before `enterRawMode()`; does nothing when it is not raw. Safe to call
    /// more than once and from a signal's handler queue.
    func restore() {
        let mode = saved.withLock { mode in
            defer { mode = nil }
            return mode
        }
        guard var original = mode else { return }
        tcsetattr(descriptor, TCSADRAIN, &original)
    }

    /// The window's rows and columns, from whichever of stdin, stdout and stderr is a terminal.
    static func windowSize() -> (rows: Int, columns: Int)? {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            var size = winsize()
            if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
                return (Int(size.ws_row), Int(size.ws_col))
            }
        }
        return nil
    }

    /// Runs `handler` (on a dispatch queue) for each of `signals` instead of their default
    /// action, until the returned sources are cancelled.
    static func handle(_ signals: [Int32], _ handler: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal]
    {
        signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stdin's bytes as they are read, on a thread of their own (a read blocks): `nil` at its end.
    static func input() -> AsyncStream<[UInt8]?> {
        let (stream, continuation) = AsyncStream<[UInt8]?>.makeStream()
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                continuation.yield(Array(buffer[..<count]))
            }
            continuation.yield(nil)
            continuation.finish()
        }
        reader.start()
        return stream
    }
}
