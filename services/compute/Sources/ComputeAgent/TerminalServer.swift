import ComputeWire
import Foundation

/// The program a terminal session runs (docs/endpoints.md, "Terminal sessions"): one shell on a
/// pseudo-terminal in the job's sandbox, reached over WebSockets on the job's endpoint socket.
/// It is Python's standard library only, so it runs on any template with `python3`, and it is
/// written into the job's work dir by the agent, never taken from the user's code.
///
/// The messages are terminado's (Jupyter's terminals), so a client written for those works:
/// `["stdin", text]` and `["set_size", rows, cols]` in; `["setup", {}]`, `["stdout", text]` and
/// `["disconnect", 1]` out. Every connection shares the one shell and first gets its recent
/// output (a reconnecting browser sees where it was). The session ends when the shell exits or
/// when nothing was typed or printed for `--idle-seconds`; it exits 0 either way so the
/// session's /output is saved to its run as a finished job's are.
enum TerminalServer {
    /// Writes the program where the session's command expects it (`TerminalSession.script`).
    static func install(inWorkDirectory work: URL) throws {
        let file = work.appendingPathComponent(TerminalSession.scriptName)
        try? FileManager.default.removeItem(at: file)
        try Data(script.utf8).write(to: file)
    }

    static let script = #"""
        # MLExchange terminal session: written by the agent, run by the session's job.
        import base64, codecs, fcntl, hashlib, json, os, pty, select, signal, socket, struct, sys, termios, time

        GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        HISTORY = 64 * 1024          # output replayed to a new connection
        MAX_MESSAGE = 1 << 20        # a client message larger than this closes its connection (1009)
        MAX_HEAD = 16 * 1024

        def log(message):
            print("mlex-terminal: " + message, flush=True)

        def frame(opcode, data):
            n = len(data)
            if n < 126:
                head = struct.pack(">BB", 0x80 | opcode, n)
            elif n < 65536:
                head = struct.pack(">BBH", 0x80 | opcode, 126, n)
            else:
                head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
            return head + data

        def unmask(data, mask):
            key = (mask * (len(data) // 4 + 1))[:len(data)]
            return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(len(data), "big")

        class Client:
            def __init__(self, sock):
                self.sock = sock
                self.buffer = bytearray()
                self.upgraded = False
                self.message = None  # [opcode, bytearray] of a message arriving in fragments

            def send(self, opcode, data):
                self.sock.sendall(frame(opcode, data))

            def send_json(self, value):
                self.send(1, json.dumps(value).encode())

            def next_frame(self):
                """(fin, opcode, payload) of the first whole frame buffered, or None."""
                buffer = self.buffer
                if len(buffer) < 2:
                    return None
                length, offset = buffer[1] & 0x7F, 2
                if length == 126:
                    if len(buffer) < 4:
                        return None
                    length, offset = struct.unpack_from(">H", buffer, 2)[0], 4
                elif length == 127:
                    if len(buffer) < 10:
                        return None
                    length, offset = struct.unpack_from(">Q", buffer, 2)[0], 10
                if length > MAX_MESSAGE:
                    raise OverflowError
                masked = buffer[1] & 0x80
                end = offset + (4 if masked else 0) + length
                if len(buffer) < end:
                    return None
                payload = bytes(buffer[end - length:end])
                if masked:
                    payload = unmask(payload, bytes(buffer[offset:offset + 4]))
                fin, opcode = bool(buffer[0] & 0x80), buffer[0] & 0x0F
                del buffer[:end]
                return fin, opcode, payload

        class Session:
            def __init__(self, socket_path, idle_seconds):
                self.idle_seconds = idle_seconds
                self.clients = {}
                self.history = bytearray()
                self.pending_input = bytearray()
                self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
                self.last_activity = time.monotonic()
                self.shell_pid, self.master = self.spawn_shell()
                os.set_blocking(self.master, False)
                if os.path.exists(socket_path):
                    os.unlink(socket_path)
                self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.server.bind(socket_path)
                self.server.listen(16)
                log("listening; the shell is %s (pid %d)" % (self.shell, self.shell_pid))

            def spawn_shell(self):
                self.shell = next((s for s in (os.environ.get("SHELL"), "/bin/bash", "/bin/sh")
                                   if s and os.access(s, os.X_OK)), "/bin/sh")
                environment = dict(os.environ, TERM="vt100")
                environment.pop("MLEX_ENDPOINT_SOCKET", None)
                environment.setdefault("HOME", os.getcwd())
                pid, master = pty.fork()
                if pid == 0:
                    try:
                        # Python ignores SIGPIPE and an exec keeps that: the shell's pipelines need it back.
                        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                        os.execve(self.shell, [self.shell], environment)
                    finally:
                        os._exit(127)
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
                return pid, master

            def run(self):
                while True:
                    status = self.shell_status()
                    if status is not None:
                        self.drain_output()
                        return self.end("the shell exited (%s): the session ends" % status)
                    idle_for = time.monotonic() - self.last_activity
                    if idle_for >= self.idle_seconds:
                        return self.end("nothing typed or printed for %d s: the session stops" % self.idle_seconds)
                    readers = [self.server, self.master] + [c.sock for c in self.clients.values()]
                    writers = [self.master] if self.pending_input else []
                    timeout = min(1.0, self.idle_seconds - idle_for)
                    readable, writable, _ = select.select(readers, writers, [], timeout)
                    if writable:
                        self.write_input()
                    for ready in readable:
                        if ready is self.server:
                            self.accept()
                        elif ready is self.master:
                            self.read_output()
                        else:
                            self.read_client(ready.fileno())

            def shell_status(self):
                pid, status = os.waitpid(self.shell_pid, os.WNOHANG)
                if pid == 0:
                    return None
                if os.WIFSIGNALED(status):
                    return "signal %d" % os.WTERMSIG(status)
                return "status %d" % os.WEXITSTATUS(status)

            def end(self, reason):
                log(reason)
                for client in list(self.clients.values()):
                    if client.upgraded:
                        try:
                            client.send_json(["disconnect", 1])
                            client.send(8, struct.pack(">H", 1001))
                        except OSError:
                            pass
                    client.sock.close()
                try:
                    os.killpg(self.shell_pid, signal.SIGHUP)
                    time.sleep(0.5)
                    os.killpg(self.shell_pid, signal.SIGKILL)
                except OSError:
                    pass
                return 0

            def accept(self):
                sock, _ = self.server.accept()
                sock.settimeout(10)
                self.clients[sock.fileno()] = Client(sock)

            def drop(self, client):
                self.clients.pop(client.sock.fileno(), None)
                client.sock.close()

            def read_output(self):
                try:
                    data = os.read(self.master, 65536)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""  # EIO: every process holding the terminal is gone
                if not data:
                    return
                self.last_activity = time.monotonic()
                self.history += data
                del self.history[:-HISTORY]
                text = self.decoder.decode(data)
                if text:
                    self.broadcast(["stdout", text])

            def drain_output(self):
                for _ in range(64):
                    before = len(self.history)
                    self.read_output()
                    if len(self.history) == before:
                        return

            def broadcast(self, message):
                for client in list(self.clients.values()):
                    if client.upgraded:
                        try:
                            client.send_json(message)
                        except OSError:
                            self.drop(client)

            def write_input(self):
                try:
                    written = os.write(self.master, bytes(self.pending_input[:4096]))
                    del self.pending_input[:written]
                except BlockingIOError:
                    pass
                except OSError:
                    self.pending_input.clear()

            def read_client(self, fd):
                client = self.clients.get(fd)
                if client is None:
                    return
                try:
                    data = client.sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return self.drop(client)
                client.buffer += data
                try:
                    if not client.upgraded:
                        self.handshake(client)
                    while client.upgraded and fd in self.clients:
                        whole = client.next_frame()
                        if whole is None:
                            break
                        self.on_frame(client, *whole)
                except OverflowError:
                    client.send(8, struct.pack(">H", 1009))
                    self.drop(client)
                except (OSError, ValueError) as error:
                    log("a connection failed: %s" % error)
                    self.drop(client)

            def handshake(self, client):
                head, separator, rest = bytes(client.buffer).partition(b"\r\n\r\n")
                if not separator:
                    if len(client.buffer) > MAX_HEAD:
                        raise ValueError("request head too large")
                    return
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                key = headers.get("sec-websocket-key")
                if headers.get("upgrade", "").lower() != "websocket" or not key:
                    body = (b"This is an MLExchange terminal session: open it from its job's page, or connect a "
                            b"WebSocket here speaking terminado's messages.\n")
                    client.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                    return self.drop(client)
                accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
                client.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
                client.upgraded = True
                client.buffer = bytearray(rest)
                client.send_json(["setup", {}])
                if self.history:
                    client.send_json(["stdout", bytes(self.history).decode("utf-8", "replace")])

            def on_frame(self, client, fin, opcode, payload):
                if opcode == 8:
                    client.send(8, payload[:2])
                    return self.drop(client)
                if opcode == 9:
                    return client.send(10, payload)
                if opcode == 10:
                    return
                if opcode in (1, 2):
                    client.message = [opcode, bytearray(payload)]
                elif opcode == 0 and client.message is not None:
                    client.message[1] += payload
                else:
                    raise ValueError("unexpected frame opcode %d" % opcode)
                if len(client.message[1]) > MAX_MESSAGE:
                    raise OverflowError
                if fin:
                    message, client.message = bytes(client.message[1]), None
                    self.on_message(message)

            def on_message(self, message):
                try:
                    kind, *arguments = json.loads(message)
                except (ValueError, TypeError):
                    return
                if kind == "stdin" and arguments and isinstance(arguments[0], str):
                    self.pending_input += arguments[0].encode("utf-8", "replace")
                    self.last_activity = time.monotonic()
                    self.write_input()
                elif kind == "set_size" and len(arguments) >= 2:
                    try:
                        rows, cols = max(1, min(int(arguments[0]), 1000)), max(1, min(int(arguments[1]), 1000))
                    except (TypeError, ValueError):
                        return
                    # The kernel tells the shell's foreground programs with SIGWINCH.
                    fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

        def main():
            idle_seconds = 3600
            arguments = sys.argv[1:]
            if len(arguments) == 2 and arguments[0] == "--idle-seconds":
                idle_seconds = int(arguments[1])
            sys.exit(Session(os.environ["MLEX_ENDPOINT_SOCKET"], idle_seconds).run())

        main()
        """#
}
