"""Verification throughput over HTTP against a reference route doing only its indexed SELECT.

    .venv/bin/python bench/verify_throughput.py [--backend sqlite|postgresql] [--patrons N]

Two migrated databases are filled through the raw driver (a small one, default 10K patrons,
and a large one, default 1M), each served by its own gunicorn (gthread, 2 workers x 4 threads)
running bench/wsgi_bench.py: the real app plus `POST /bench/reference`. A separate load
generator process (bench/loadgen.py, 16 keep-alive connections, a bounded request count)
alternates reference and verification runs, round after round, on both sizes. Reported: the
median req/s of each, verification / reference (goal >= 0.7 at the large size), and the cost of
a verification at the large size over its cost at the small one (goal <= 1.2).

Then, at a constant arrival rate of half the measured maximum (the median verification req/s
at the large size, `--rate-share`), an open-loop run of each route on the large database
(loadgen.py `--rate`: sends on a fixed timetable, latency measured from each request's due
time, so a stall is not hidden by the requests it holds back): verification's p99 against its
p50 (goal <= 4), the reference's for context.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness

ROUTES = {"reference": "/bench/reference", "verify": "/api/v1/verifications"}
THROUGHPUT_GOAL = 0.7
SCALING_GOAL = 1.2
TAIL_GOAL = 4.0  # p99 / p50 at a constant rate of half the maximum


def build_database(ws, backend: str, name: str, patrons: int, homes: int) -> dict:
    """Migrate, admit the federation through the app, then write `patrons` rows raw."""
    url = ws.new_database(name)
    began = time.perf_counter()
    harness.migrate(url)
    library_ids, key = harness.admit_federation(url, homes)
    counts = harness.spread(patrons, homes)
    harness.raw_insert(backend, url, harness.stored_rows(
        library_ids, counts, harness.HMAC_KEY.encode("utf-8"), datetime.now(UTC),
        backend))
    harness.analyze(backend, url)
    stored = harness.count_patrons(backend, url)
    if stored != patrons:
        raise RuntimeError(f"{name}: expected {patrons} patrons, found {stored}")
    print(f"  {name}: {patrons:,} patrons in {time.perf_counter() - began:.1f} s", flush=True)
    return {"url": url, "key": key, "counts": counts, "patrons": patrons}


def write_bodies(path: str, counts: list[int], how_many: int, miss_rate: float,
                 rng: random.Random) -> None:
    """Random requests over every home library's cards: mostly registered, some unknown."""
    with open(path, "w") as out:
        for _ in range(how_many):
            index = rng.randrange(len(counts))
            if rng.random() < miss_rate:
                serial = counts[index] + rng.randrange(1_000_000)  # never registered
            else:
                serial = rng.randrange(counts[index])
            out.write(json.dumps({"card_number": harness.card_number(index, serial),
                                  "home_library": harness.home_code(index)}) + "\n")


def post(port: int, path: str, body: dict, key: str | None) -> tuple[int, dict]:
    """One request with urllib, for the sanity checks."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sanity_check(port: int, database: dict) -> None:
    """Both routes answer as expected for a known card and an unknown one before any timing."""
    hit = {"card_number": harness.card_number(0, 1), "home_library": harness.home_code(0)}
    miss = {"card_number": harness.card_number(0, database["counts"][0] + 5),
            "home_library": harness.home_code(0)}
    checks = [
        (ROUTES["verify"], hit, lambda a: a.get("decision") == "eligible"),
        (ROUTES["verify"], miss, lambda a: "unknown_card" in a.get("reasons", [])),
        (ROUTES["reference"], hit, lambda a: a.get("found") is True),
        (ROUTES["reference"], miss, lambda a: a.get("found") is False),
    ]
    for path, body, ok in checks:
        status, answer = post(port, path, body, database["key"])
        if status != 200 or not ok(answer):
            raise RuntimeError(f"sanity check failed: {path} {body} -> {status} {answer}")


def load(port: int, route: str, bodies: str, key: str, requests: int, connections: int,
         offset: int, max_seconds: float, cpu_roots: list[int],
         rate: float | None = None) -> dict:
    """One bounded run of bench/loadgen.py in its own process, with the CPU it cost.

    Server CPU is what the serving processes used during the run (the gunicorn workers under
    `cpu_roots`, and on PostgreSQL the database's backends): unlike req/s it barely moves when
    other work shares the machine, so it cross-checks the throughput ratio.
    """
    import resource

    command = [sys.executable, os.path.join(harness.BENCH_DIR, "loadgen.py"),
               "--port", str(port), "--path", ROUTES[route], "--bodies", bodies,
               "--auth", key, "--requests", str(requests), "--connections", str(connections),
               "--offset", str(offset), "--max-seconds", str(max_seconds)]
    if rate:
        command += ["--rate", f"{rate:.3f}"]
    server_before = sum(harness.process_tree_cpu(pid) for pid in cpu_roots)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 90)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = sum(harness.process_tree_cpu(pid) for pid in cpu_roots)
    if result.returncode != 0:
        raise RuntimeError(f"loadgen failed: {result.stderr}")
    summary = json.loads(result.stdout)
    done = max(summary["ok"], 1)
    summary["server_cpu_ms"] = round((server_after - server_before) * 1000 / done, 3)
    summary["client_cpu_ms"] = round((after.ru_utime + after.ru_stime - children.ru_utime
                                      - children.ru_stime) * 1000 / done, 3)
    summary["load_average"] = harness.load_average()
    return summary


def main() -> int:
    """Build, serve, load, report; exit 0 when every goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patrons", type=int, default=1_000_000, help="the large registry")
    parser.add_argument("--small-patrons", type=int, default=10_000,
                        help="the small registry the scaling goal compares with")
    parser.add_argument("--homes", type=int, default=10, help="home libraries sharing them")
    parser.add_argument("--rounds", type=int, default=5, help="A B rounds per size")
    parser.add_argument("--requests", type=int, default=3000, help="requests per timed run")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed requests per route")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker (gthread); 1 means sync workers")
    parser.add_argument("--miss-rate", type=float, default=0.1,
                        help="share of requests for unregistered cards")
    parser.add_argument("--max-run-seconds", type=float, default=120.0)
    parser.add_argument("--constant-rate", action=argparse.BooleanOptionalAction, default=True,
                        help="also the open-loop run at a share of the maximum (p99 / p50)")
    parser.add_argument("--rate-share", type=float, default=0.5,
                        help="the constant rate, as a share of the median verify req/s")
    parser.add_argument("--rate-seconds", type=float, default=30.0,
                        help="length of each constant-rate run")
    parser.add_argument("--rate-connections", type=int, default=32,
                        help="connections of the open-loop generator (spare ones absorb stalls)")
    parser.add_argument("--time-limit", type=int, default=3600, help="whole run, seconds")
    parser.add_argument("--json", default=None, help="also write every figure to this file")
    args = parser.parse_args()
    if not 0 < args.small_patrons < args.patrons:
        parser.error("--small-patrons must be positive and below --patrons")

    harness.install_signal_handlers()
    harness.time_limit(args.time_limit)
    sizes = {"small": args.small_patrons, "large": args.patrons}
    print(f"verify_throughput: {args.backend}, {harness.machine_line()}")
    print(f"gunicorn gthread {args.workers} workers x {args.threads} threads; loadgen "
          f"{args.connections} keep-alive connections, {args.requests} requests a run, "
          f"{args.rounds} rounds, {args.miss_rate:.0%} unknown cards", flush=True)
    ws = harness.Workspace(args.backend)
    try:
        databases, ports, bodies = {}, {}, {}
        rng = random.Random(20261123)
        for size, patrons in sizes.items():
            databases[size] = build_database(ws, args.backend, f"verify_{size}", patrons,
                                             args.homes)
            bodies[size] = os.path.join(ws.dir, f"bodies-{size}.ndjson")
            write_bodies(bodies[size], databases[size]["counts"],
                         max(20_000, args.requests * 2), args.miss_rate, rng)
        servers = {}
        postmaster = harness.postmaster_pid(ws)
        for size in sizes:
            servers[size], ports[size] = harness.start_gunicorn(
                ws, databases[size]["url"], size, args.workers, args.threads)
            sanity_check(ports[size], databases[size])
        roots = {size: [servers[size].pid] + ([postmaster] if postmaster else [])
                 for size in sizes}
        for size in sizes:
            for route in ROUTES:
                load(ports[size], route, bodies[size], databases[size]["key"], args.warmup,
                     args.connections, 0, args.max_run_seconds, roots[size])

        runs = []
        offset = args.warmup
        for round_number in range(1, args.rounds + 1):
            for size in sizes:
                for route in ROUTES:  # A B, then A B again next round
                    result = load(ports[size], route, bodies[size], databases[size]["key"],
                                  args.requests, args.connections, offset,
                                  args.max_run_seconds, roots[size])
                    offset += args.requests
                    result.update(round=round_number, size=size, route=route)
                    runs.append(result)
                    print(f"  round {round_number} {size:5} {route:9} {result['rps']:8.1f} "
                          f"req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
                          f"server CPU {result['server_cpu_ms']:.3f} ms/req  client CPU "
                          f"{result['client_cpu_ms']:.3f} ms/req  errors {result['errors']}  "
                          f"load {result['load_average']}", flush=True)
        steady = []
        if args.constant_rate:
            maximum = statistics.median(r["rps"] for r in runs
                                        if r["size"] == "large" and r["route"] == "verify")
            rate = args.rate_share * maximum
            count = max(200, int(rate * args.rate_seconds))
            for route in ("reference", "verify"):
                result = load(ports["large"], route, bodies["large"], databases["large"]["key"],
                              count, args.rate_connections, offset,
                              args.rate_seconds * 3 + 30, roots["large"], rate=rate)
                offset += count
                result.update(route=route, maximum=maximum)
                steady.append(result)
                print(f"  constant rate {rate:.1f}/s ({args.rate_share:.0%} of {maximum:.1f}) "
                      f"large {route:9} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:.2f} "
                      f"ms  p90 {result['p90_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                      f"max {result['max_ms']:.2f} ms  sent late p99 {result['late_p99_ms']} ms  "
                      f"server CPU {result['server_cpu_ms']:.3f} ms/req  errors "
                      f"{result['errors']}  load {result['load_average']}", flush=True)
        return report(args, sizes, runs, steady)
    finally:
        ws.close()


def report(args, sizes: dict, runs: list[dict], steady: list[dict]) -> int:
    """Print the medians, ratios and goals; return the exit status."""
    def med(size, route, field):
        return statistics.median(r[field] for r in runs
                                 if r["size"] == size and r["route"] == route)

    def paired(size):
        """Median over rounds of each round's verify / reference (drift cancels within a round)."""
        by_round = {}
        for r in runs:
            if r["size"] == size:
                by_round.setdefault(r["round"], {})[r["route"]] = r["rps"]
        return statistics.median(v["verify"] / v["reference"] for v in by_round.values())

    errors = sum(r["errors"] for r in runs)
    rows = []
    for size, patrons in sizes.items():
        ref, ver = med(size, "reference", "rps"), med(size, "verify", "rps")
        rows.append((f"{patrons:,}", f"{ref:.1f}", f"{ver:.1f}", f"{ver / ref:.3f}",
                     f"{paired(size):.3f}", f"{med(size, 'reference', 'p50_ms'):.2f}",
                     f"{med(size, 'verify', 'p50_ms'):.2f}",
                     f"{med(size, 'reference', 'server_cpu_ms'):.3f}",
                     f"{med(size, 'verify', 'server_cpu_ms'):.3f}"))
    harness.print_table(
        f"Medians over {args.rounds} rounds ({args.backend}); CPU = server CPU ms per request",
        ("patrons", "ref req/s", "verify req/s", "verify/ref", "per-round ratio",
         "ref p50 ms", "verify p50 ms", "ref CPU", "verify CPU"), rows)

    large, small = "large", "small"
    ratio = med(large, "verify", "rps") / med(large, "reference", "rps")
    scaling = med(small, "verify", "rps") / med(large, "verify", "rps")
    cpu_ratio = med(large, "reference", "server_cpu_ms") / med(large, "verify", "server_cpu_ms")
    cpu_scaling = med(large, "verify", "server_cpu_ms") / med(small, "verify", "server_cpu_ms")
    ref_scaling = med(small, "reference", "rps") / med(large, "reference", "rps")
    n_large, n_small = f"{sizes[large]:,}", f"{sizes[small]:,}"
    goals = [
        (f"verify / reference req/s at {n_large} patrons", f"{ratio:.3f}",
         f">= {THROUGHPUT_GOAL}", "PASS" if ratio >= THROUGHPUT_GOAL else "MISS"),
        ("  cross-check: median per-round ratio", f"{paired(large):.3f}", "", ""),
        ("  cross-check: reference / verify server CPU per request", f"{cpu_ratio:.3f}", "",
         ""),
        (f"verify cost at {n_large} / at {n_small} patrons (inverse req/s)", f"{scaling:.3f}",
         f"<= {SCALING_GOAL}", "PASS" if scaling <= SCALING_GOAL else "MISS"),
        ("  cross-check: same, from server CPU per request", f"{cpu_scaling:.3f}", "", ""),
        ("  context: reference cost, same sizes (inverse req/s)", f"{ref_scaling:.3f}", "", ""),
        ("failed requests (non-200 or transport)", str(errors), "0",
         "PASS" if errors == 0 else "MISS"),
    ]
    tail = None
    for result in steady:
        ratio_99 = result["p99_ms"] / result["p50_ms"]
        if result["route"] == "verify":
            tail = ratio_99
            goals.append((f"verify p99 / p50 at {result['rate']:.1f} req/s (constant rate, "
                          f"{args.rate_share:.0%} of max)", f"{ratio_99:.2f} ({result['p99_ms']}"
                          f" / {result['p50_ms']} ms)", f"<= {TAIL_GOAL:g}",
                          "PASS" if ratio_99 <= TAIL_GOAL else "MISS"))
        else:
            goals.append(("  context: reference p99 / p50, same rate", f"{ratio_99:.2f} "
                          f"({result['p99_ms']} / {result['p50_ms']} ms)", "", ""))
        errors += result["errors"]
    harness.print_table("Goals", ("measure", "measured", "goal", "result"), goals)
    print(f"\nload average at the end: {harness.load_average()} (other work on the machine "
          "lowers req/s; the CPU cross-checks are far less sensitive to it)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": args.backend, "sizes": sizes, "runs": runs,
                       "ratio": ratio, "paired_ratio": paired(large), "cpu_ratio": cpu_ratio,
                       "scaling": scaling, "cpu_scaling": cpu_scaling, "errors": errors,
                       "constant_rate": steady, "tail_ratio": tail},
                      f, indent=1)
    return 0 if all(g[3] != "MISS" for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
