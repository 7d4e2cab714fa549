/// A tiny model serving HTTP on a job's endpoint socket (`$MLEX_ENDPOINT_SOCKET`, docs/endpoints.md),
/// in Python's standard library, for the tests and benchmarks of job endpoints and deployments:
///
/// - `POST /invocations` (any POST but /crash): `{"inputs": [{"x": n}, …]}` answers
///   `{"predictions": [2n, …]}`; `{"x": n}` answers `{"y": 2n}`.
/// - `POST /crash` ends the process at once (a replica that dies).
/// - any `GET` answers what the job was sent and is: the path as it arrived, `X-Mlex-User`,
///   whether an `Authorization` or endpoint key reached it (they must not), `X-Forwarded-Prefix`,
///   and its job, deployment and replica from the environment.
///
/// When `COMPUTE_PORT` is set it first tries to connect to that port and prints whether it could
/// (`network: blocked` in a sandbox without network), then `serving`. HTTP/1.1 with keep-alive,
/// a thread per connection.
public enum EndpointModelServer {
    public static let script = """
        import http.server, json, os, socket, socketserver
        if "COMPUTE_PORT" in os.environ:
            try:
                socket.create_connection(("127.0.0.1", int(os.environ["COMPUTE_PORT"])), timeout=2).close()
                print("network: reached compute", flush=True)
            except OSError:
                print("network: blocked", flush=True)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, body):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def do_GET(self):
                self.answer({"path": self.path, "user": self.headers.get("X-Mlex-User"),
                             "authorization": self.headers.get("Authorization"),
                             "key": self.headers.get("X-Mlex-Endpoint-Key"),
                             "prefix": self.headers.get("X-Forwarded-Prefix"),
                             "job": os.environ.get("MLEX_JOB_ID"), "replica": os.environ.get("MLEX_REPLICA"),
                             "deployment": os.environ.get("MLEX_DEPLOYMENT_ID")})
            def do_POST(self):
                if self.path == "/crash":
                    os._exit(3)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if "inputs" in body:
                    self.answer({"predictions": [record["x"] * 2 for record in body["inputs"]]})
                else:
                    self.answer({"y": body["x"] * 2})
            def log_message(self, *args):
                pass
        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True
            def get_request(self):
                return super().get_request()[0], ("endpoint", 0)
        print("serving", flush=True)
        Server(os.environ["MLEX_ENDPOINT_SOCKET"], Handler).serve_forever()
        """
}
