"""A closed-loop SIP2 load generator: N connections, each logged in once, a bounded count.

Run by doors_throughput.py as its own process:

    python bench/sip_loadgen.py --port P --login L --password W --cards FILE \
        --connections 16 --requests 3000 [--max-seconds 120]

Each thread logs in (93, not timed), then sends 23 Patron Status messages with the cards of
FILE (one per line, taken round-robin from a shared counter), without error detection, and
reads each answer up to its CR. Prints one JSON object like loadgen.py's: ok, errors, rps.
"""

import argparse
import itertools
import json
import socket
import threading
import time


def run(args) -> dict:
    """Drive the load and summarise it."""
    with open(args.cards) as f:
        cards = [line.strip() for line in f if line.strip()]
    date = time.strftime("%Y%m%d    %H%M%S")
    messages = [f"23001{date}AOBLEND|AA{card}|AC|AD|\r".encode() for card in cards]
    counter = itertools.count()
    gate = threading.Barrier(args.connections + 1)
    deadline = [float("inf")]  # set once every connection has logged in
    results, lock = [], threading.Lock()

    def read(sock, buffer):
        while b"\r" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            buffer += chunk
        answer, _, rest = buffer.partition(b"\r")
        return answer, rest

    def worker():
        sock = socket.create_connection((args.host, args.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(f"9300CN{args.login}|CO{args.password}|CPbench|\r".encode())
        answer, buffer = read(sock, b"")
        if answer != b"941":
            raise SystemExit(f"login refused: {answer!r}")
        ok = errors = 0
        latencies = []
        gate.wait()
        while True:
            n = next(counter)
            if n >= args.requests or time.perf_counter() > deadline[0]:
                break
            began = time.perf_counter()
            sock.sendall(messages[(args.offset + n) % len(messages)])
            answer, buffer = read(sock, buffer)
            latencies.append(time.perf_counter() - began)
            if answer.startswith(b"24"):
                ok += 1
            else:
                errors += 1
        sock.close()
        with lock:
            results.append((ok, errors, latencies, time.perf_counter()))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    gate.wait()  # logins are not timed
    began = time.perf_counter()
    deadline[0] = began + args.max_seconds
    for thread in threads:
        thread.join(args.max_seconds + 60)
    ended = max((r[3] for r in results), default=time.perf_counter())
    ok = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    seconds = ended - began

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) \
            if latencies else None

    return {"path": "sip2 23", "ok": ok, "errors": sum(r[1] for r in results),
            "seconds": round(seconds, 4), "rps": round(ok / seconds, 1) if seconds else 0.0,
            "p50_ms": pct(0.5), "p99_ms": pct(0.99)}


def main() -> None:
    """Parse arguments, run, print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--cards", required=True, help="file with one card number per line")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load goes to this machine's loopback only")
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
