"""Two app hosts in front of one PostgreSQL against one host: CPU per verification.

    .venv/bin/python bench/two_hosts.py [--patrons N] [--workers W] [--threads T]

One PostgreSQL database (default 1M patrons over ten home libraries, written raw as
verify_throughput.py does) and two gunicorn servers on two loopback ports, each a "host":
gthread, W workers x T threads (default 1 x 4), both serving bench/wsgi_bench.py with the same
configuration against the same database. Rounds alternate two runs of the same closed-loop load
(bench/loadgen.py, 16 keep-alive connections, a fixed number of verifications):

- **one host:** every connection goes to host A;
- **two hosts:** the connections are spread over A and B, round-robin (8 each), as a load
  balancer in front of two machines would spread them.

Both hosts run in both cases (B idles in the first), so the only difference is whether the
load is shared. For each run the script reads from /proc the CPU seconds of each host's
processes (the gunicorn arbiter and its workers) and of PostgreSQL (the postmaster and its
backends), and divides by the verifications served.

Two hosts cannot be given more cores on a 2-core machine, so the figure is the one CPU per
request decides: if serving a verification costs the app hosts and the database as much when
two hosts share the load as when one carries it, two machines serve twice what one does.
Reported, as medians over the rounds:

    scale = 2 x (CPU per verification, one host) / (CPU per verification, two hosts)

counting the hosts' processes and PostgreSQL's (goal >= 1.6), and the same for the hosts'
processes alone (what each host machine must supply). The database's own CPU per
verification is printed beside it: the one database serves both hosts, so its cores cap the
whole at (database cores) / (database CPU per verification).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness
import verify_throughput as vt

SCALE_GOAL = 1.6


def run_load(ports: list[int], bodies: str, key: str, requests: int, connections: int,
             offset: int, roots: dict[str, int], max_seconds: float) -> dict:
    """One closed-loop run spread over `ports`; req/s and CPU per request of each part."""
    command = [sys.executable, os.path.join(harness.BENCH_DIR, "loadgen.py"),
               "--port", *map(str, ports), "--path", vt.ROUTES["verify"], "--bodies", bodies,
               "--auth", key, "--requests", str(requests), "--connections", str(connections),
               "--offset", str(offset), "--max-seconds", str(max_seconds)]
    before = {name: harness.process_tree_cpu(pid) for name, pid in roots.items()}
    result = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 90)
    after = {name: harness.process_tree_cpu(pid) for name, pid in roots.items()}
    if result.returncode != 0:
        raise RuntimeError(f"loadgen failed: {result.stderr}")
    summary = json.loads(result.stdout)
    done = max(summary["ok"], 1)
    cpu = {name: (after[name] - before[name]) * 1000 / done for name in roots}
    summary["cpu_ms"] = {name: round(value, 3) for name, value in cpu.items()}
    summary["hosts_cpu_ms"] = round(cpu["host_a"] + cpu["host_b"], 3)
    summary["total_cpu_ms"] = round(sum(cpu.values()), 3)
    summary["load_average"] = harness.load_average()
    return summary


def main() -> int:
    """Build, serve on two ports, alternate one host and two, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrons", type=int, default=1_000_000)
    parser.add_argument("--homes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="verifications per run")
    parser.add_argument("--warmup", type=int, default=1000, help="per host, untimed")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-run-seconds", type=float, default=180.0)
    parser.add_argument("--time-limit", type=int, default=3600, help="whole run, seconds")
    parser.add_argument("--json", default=None, help="also write every figure to this file")
    args = parser.parse_args()

    harness.install_signal_handlers()
    harness.time_limit(args.time_limit)
    print(f"two_hosts: postgresql, {harness.machine_line()}")
    print(f"each host: gunicorn gthread {args.workers} worker(s) x {args.threads} threads; "
          f"loadgen {args.connections} keep-alive connections, {args.requests} verifications "
          f"a run, {args.rounds} rounds", flush=True)
    ws = harness.Workspace("postgresql")
    try:
        database = vt.build_database(ws, "postgresql", "two_hosts", args.patrons, args.homes)
        bodies = os.path.join(ws.dir, "bodies.ndjson")
        vt.write_bodies(bodies, database["counts"], max(20_000, args.requests * 2), 0.1,
                        random.Random(20261202))
        servers, ports = {}, {}
        for name in ("host_a", "host_b"):
            servers[name], ports[name] = harness.start_gunicorn(
                ws, database["url"], name, args.workers, args.threads)
            vt.sanity_check(ports[name], database)
        roots = {"host_a": servers["host_a"].pid, "host_b": servers["host_b"].pid,
                 "postgresql": harness.postmaster_pid(ws)}
        layouts = {"one": [ports["host_a"]], "two": [ports["host_a"], ports["host_b"]]}
        for name in ("host_a", "host_b"):
            run_load([ports[name]], bodies, database["key"], args.warmup, args.connections, 0,
                     roots, args.max_run_seconds)
        runs, offset = [], args.warmup
        for round_number in range(1, args.rounds + 1):
            for layout, layout_ports in layouts.items():
                result = run_load(layout_ports, bodies, database["key"], args.requests,
                                  args.connections, offset, roots, args.max_run_seconds)
                offset += args.requests
                result.update(round=round_number, layout=layout)
                runs.append(result)
                cpu = result["cpu_ms"]
                print(f"  round {round_number} {layout} host(s) {result['rps']:8.1f} req/s  "
                      f"CPU ms/verification: host A {cpu['host_a']:.3f}  host B "
                      f"{cpu['host_b']:.3f}  PostgreSQL {cpu['postgresql']:.3f}  total "
                      f"{result['total_cpu_ms']:.3f}  errors {result['errors']}  load "
                      f"{result['load_average']}", flush=True)
                time.sleep(1)  # let the traffic buffers' flush of the run fall in its window
        return report(args, runs)
    finally:
        ws.close()


def report(args, runs: list[dict]) -> int:
    """Medians, the scale figures and the goal."""
    def med(layout, field, part=None):
        return statistics.median((r["cpu_ms"][part] if part else r[field])
                                 for r in runs if r["layout"] == layout)

    rows = []
    for layout in ("one", "two"):
        rows.append((layout, f"{med(layout, 'rps'):.1f}",
                     f"{med(layout, None, 'host_a'):.3f}", f"{med(layout, None, 'host_b'):.3f}",
                     f"{med(layout, 'hosts_cpu_ms'):.3f}",
                     f"{med(layout, None, 'postgresql'):.3f}",
                     f"{med(layout, 'total_cpu_ms'):.3f}"))
    harness.print_table(f"Medians over {args.rounds} rounds (CPU ms per verification)",
                        ("hosts", "req/s", "host A", "host B", "hosts", "PostgreSQL",
                         "total"), rows)
    scale_total = 2 * med("one", "total_cpu_ms") / med("two", "total_cpu_ms")
    scale_hosts = 2 * med("one", "hosts_cpu_ms") / med("two", "hosts_cpu_ms")
    errors = sum(r["errors"] for r in runs)
    goals = [
        ("two hosts / one: 2 x total CPU per verification (hosts + PostgreSQL), one / two",
         f"{scale_total:.3f}", f">= {SCALE_GOAL}", "PASS" if scale_total >= SCALE_GOAL
         else "MISS"),
        ("  the hosts' processes alone, same formula", f"{scale_hosts:.3f}", "", ""),
        ("  context: req/s on these 2 shared cores, two / one",
         f"{med('two', 'rps') / med('one', 'rps'):.3f}", "", ""),
        ("failed requests", str(errors), "0", "PASS" if errors == 0 else "MISS"),
    ]
    harness.print_table("Goals", ("measure", "measured", "goal", "result"), goals)
    print(f"\nload average at the end: {harness.load_average()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "scale_total": scale_total, "scale_hosts": scale_hosts,
                       "errors": errors}, f, indent=1)
    return 0 if all(g[3] != "MISS" for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
