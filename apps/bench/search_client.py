"""One client searching runs without pause, as a person paging the runs table does: what the
search benchmark runs beside a metric write. A process of its own, so its JSON parsing competes
with the services for the cores as a real client's would, not for the services' own threads.

Usage: search_client.py URL TOKEN BODY_JSON...  (the bodies are sent in turn); stops when its
standard input closes.
"""

import json
import sys
import threading
import urllib.request


def main() -> None:
    url, token, bodies = sys.argv[1], sys.argv[2], [body.encode() for body in sys.argv[3:]]
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent = 0
    while not stop.is_set():
        request = urllib.request.Request(url, data=bodies[sent % len(bodies)], headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            json.loads(response.read())
        sent += 1
    print(sent, flush=True)


if __name__ == "__main__":
    main()
