"""A TCP proxy in front of the gateway that cuts the connection once, mid-transfer.

A flaky link, made deterministic: every connection is forwarded byte for byte to the gateway
until `cut_after` bytes have gone upstream (client to server, over all connections together);
then the connection carrying the byte that crossed the line is closed both ways, in the middle
of whatever request it was sending, exactly once. Later connections are forwarded untouched.
It counts the bytes each way, so a test can tell a resumed transfer from one sent again whole.
"""

import socket
import threading


class CuttingProxy:
    def __init__(self, target_host, target_port, cut_after=None):
        self.target = (target_host, target_port)
        self.cut_after = cut_after
        self.cut = False
        self.upstream_bytes = 0
        self.downstream_bytes = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self._closed = True
        self._listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, server)
            threading.Thread(target=self._pump, args=(client, server, True, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False, pair), daemon=True).start()

    def _pump(self, source, sink, upstream, pair):
        try:
            while True:
                chunk = source.recv(1 << 16)
                if not chunk:
                    break
                if upstream:
                    with self._lock:
                        allowed = len(chunk)
                        if self.cut_after is not None and not self.cut:
                            allowed = min(allowed, max(0, self.cut_after - self.upstream_bytes))
                            if allowed < len(chunk):
                                self.cut = True
                        self.upstream_bytes += allowed
                    if allowed < len(chunk):
                        sink.sendall(chunk[:allowed])
                        pair.close(reset=True)
                        return
                else:
                    with self._lock:
                        self.downstream_bytes += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        # One side finished: pass the half-close on so the other side sees the end too.
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        pair.finished()


class _Pair:
    """A client's socket and its gateway socket, closed once both directions are done."""

    def __init__(self, client, server):
        self.sockets = (client, server)
        self.directions_left = 2
        self.lock = threading.Lock()

    def finished(self):
        with self.lock:
            self.directions_left -= 1
            last = self.directions_left == 0
        if last:
            self.close(reset=False)

    def close(self, reset):
        for sock in self.sockets:
            try:
                if reset:
                    # SO_LINGER 0: close sends RST, as a dropped link or a killed middlebox would.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                # Wakes the other direction's thread blocked in recv on this socket.
                sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            sock.close()
