"""A small HTTP load generator: N keep-alive connections, a bounded request count; closed-loop,
or open-loop at a constant arrival rate.

Run by verify_throughput.py as its own process, so the client's CPU is not the server's:

    python bench/loadgen.py --port P --path /api/v1/verifications --bodies FILE \
        --connections 16 --requests 4000 [--auth KEY] [--max-seconds 120] [--rate R]

Each thread owns one connection and sends ready-made request bytes (one JSON body per line of
FILE, taken round-robin from a shared counter) and reads each response by its Content-Length,
reconnecting when the server closes. It stops after --requests requests or --max-seconds,
whichever comes first, and prints one JSON object: ok, errors, statuses, seconds, rps, latency.
Plain sockets rather than http.client: a cheaper client leaves more of the 2 cores to the
server, and the client's fixed cost per request would otherwise flatter the ratio.

Closed loop (the default), each connection sends its next request when the last one is
answered, so a slow answer delays the requests behind it and they are never measured as late
(coordinated omission). With `--rate R` the load is open: request n is due at start + n / R
seconds whatever happened before, a free connection sends it at that instant (or at once, when
every connection was busy), and its latency is measured **from the instant it was due**, so
time spent waiting behind a slow answer counts. `late_ms` reports how far behind its
timetable the generator itself sent (p99): when that is more than a few milliseconds, the
client, not the server, was the bottleneck and more connections are needed. Several `--port`
values spread the connections over several servers, round-robin.
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
    by_port = {port: [_request_bytes(args.host, port, args.path, args.auth, b, args.content_type)
                      for b in bodies] for port in args.port}
    counter = itertools.count()  # next() on it is atomic under the GIL
    start_gate = threading.Barrier(args.connections + 1)
    deadline = [0.0]
    results = []
    lock = threading.Lock()

    interval = 1.0 / args.rate if args.rate else 0.0

    def worker(port: int):
        connection = Connection(args.host, port)
        requests = by_port[port]
        statuses: dict[int, int] = {}
        latencies = []
        lateness = []
        errors = 0
        start_gate.wait()
        while True:
            n = next(counter)
            if n >= args.requests or time.perf_counter() > deadline[0]:
                break
            if interval:
                due = origin[0] + n * interval
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                began = due  # latency from the timetable, not from when it could be sent
                lateness.append(max(0.0, time.perf_counter() - due))
            else:
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
            results.append((statuses, latencies, errors, time.perf_counter(), lateness))

    ports = args.port
    threads = [threading.Thread(target=worker, args=(ports[i % len(ports)],), daemon=True)
               for i in range(args.connections)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + args.max_seconds
    origin = [began + 0.05]  # the timetable's first instant, once every thread is waiting
    start_gate.wait()
    for t in threads:
        t.join(args.max_seconds + 60)
    ended = max((r[3] for r in results), default=time.perf_counter())
    statuses: dict[int, int] = {}
    latencies = []
    lateness = []
    errors = 0
    for s, lat, err, _, late in results:
        errors += err
        latencies.extend(lat)
        lateness.extend(late)
        for code, count in s.items():
            statuses[code] = statuses.get(code, 0) + count
    latencies.sort()
    ok = statuses.get(200, 0)
    seconds = ended - began

    lateness.sort()

    def pct(p, values=latencies):
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 2) \
            if values else None

    summary = {"path": args.path, "ok": ok, "errors": errors + sum(
        c for code, c in statuses.items() if code != 200),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 4), "rps": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "timed_out": seconds > args.max_seconds}
    if args.rate:
        summary.update(rate=args.rate, late_p50_ms=pct(0.50, lateness),
                       late_p99_ms=pct(0.99, lateness))
    return summary


def main() -> None:
    """Parse arguments, run, print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, nargs="+",
                        help="one or more servers; connections are spread over them")
    parser.add_argument("--path", required=True)
    parser.add_argument("--auth", default=None, help="API key sent as a Bearer token")
    parser.add_argument("--bodies", required=True, help="file with one body per line")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--offset", type=int, default=0, help="first body to send")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: requests per second on a fixed timetable, latency "
                             "measured from each request's due time")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load goes to this machine's loopback only")
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
