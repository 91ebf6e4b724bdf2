"""A small closed-loop HTTP load generator: N keep-alive connections, a bounded request count.

Run by verify_throughput.py as its own process, so the client's CPU is not the server's:

    python bench/loadgen.py --port P --path /api/v1/verifications --bodies FILE \
        --connections 16 --requests 4000 [--auth KEY] [--max-seconds 120]

Each thread owns one connection and sends ready-made request bytes (one JSON body per line of
FILE, taken round-robin from a shared counter) and reads each response by its Content-Length,
reconnecting when the server closes. It stops after --requests requests or --max-seconds,
whichever comes first, and prints one JSON object: ok, errors, statuses, seconds, rps, latency.
Plain sockets rather than http.client: a cheaper client leaves more of the 2 cores to the
server, and the client's fixed cost per request would otherwise flatter the ratio.
"""

import argparse
import itertools
import json
import socket
import threading
import time


def _request_bytes(host: str, port: int, path: str, auth: str | None, body: bytes,
                   content_type: str = "application/json") -> bytes:
    """One complete HTTP/1.1 POST with a body (JSON unless said otherwise)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: {content_type}\r\nAccept: {content_type}\r\n"
            + (f"Authorization: Bearer {auth}\r\n" if auth else "")
            + f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class Connection:
    """A keep-alive connection that reconnects when the server closes it."""

    def __init__(self, host: str, port: int):
        """Remember where to connect; connect lazily."""
        self.address = (host, port)
        self.sock = None
        self.buffer = b""

    def _open(self):
        self.sock = socket.create_connection(self.address, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self):
        """Close the socket if open."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, data: bytes) -> int:
        """Send one request and read its response; return the status code."""
        for attempt in (1, 2):
            if self.sock is None:
                self._open()
            try:
                self.sock.sendall(data)
                return self._read_response()
            except (ConnectionError, BrokenPipeError, EOFError):
                # A keep-alive connection the server had already closed: once more, fresh.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        return chunk

    def _read_response(self) -> int:
        buffer = self.buffer
        while b"\r\n\r\n" not in buffer:
            buffer += self._recv()
        head, _, rest = buffer.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        if close:
            self.close()
        return status


def run(args) -> dict:
    """Drive the load and summarise it."""
    with open(args.bodies, "rb") as f:
        bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    requests = [_request_bytes(args.host, args.port, args.path, args.auth, b, args.content_type)
                for b in bodies]
    counter = itertools.count()  # next() on it is atomic under the GIL
    start_gate = threading.Barrier(args.connections + 1)
    deadline = [0.0]
    results = []
    lock = threading.Lock()

    def worker():
        connection = Connection(args.host, args.port)
        statuses: dict[int, int] = {}
        latencies = []
        errors = 0
        start_gate.wait()
        while True:
            n = next(counter)
            if n >= args.requests or time.perf_counter() > deadline[0]:
                break
            began = time.perf_counter()
            try:
                status = connection.exchange(requests[(args.offset + n) % len(requests)])
            except (OSError, EOFError, ValueError):
                errors += 1
                connection.close()
                continue
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        with lock:
            results.append((statuses, latencies, errors, time.perf_counter()))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + args.max_seconds
    start_gate.wait()
    for t in threads:
        t.join(args.max_seconds + 60)
    ended = max((r[3] for r in results), default=time.perf_counter())
    statuses: dict[int, int] = {}
    latencies = []
    errors = 0
    for s, lat, err, _ in results:
        errors += err
        latencies.extend(lat)
        for code, count in s.items():
            statuses[code] = statuses.get(code, 0) + count
    latencies.sort()
    ok = statuses.get(200, 0)
    seconds = ended - began

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) \
            if latencies else None

    return {"path": args.path, "ok": ok, "errors": errors + sum(
        c for code, c in statuses.items() if code != 200),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 4), "rps": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(0.50), "p99_ms": pct(0.99), "timed_out": seconds > args.max_seconds}


def main() -> None:
    """Parse arguments, run, print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--auth", default=None, help="API key sent as a Bearer token")
    parser.add_argument("--bodies", required=True, help="file with one body per line")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--offset", type=int, default=0, help="first body to send")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load goes to this machine's loopback only")
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
