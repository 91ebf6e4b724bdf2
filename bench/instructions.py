"""Instructions per request, counted by valgrind's callgrind: a figure the machine's load does
not move.

Each route is served in-process through the WSGI app (`bench/wsgi_bench.py`, Flask's test
client) in its own Python process run under `valgrind --tool=callgrind --instr-atstart=no`:
the process prepares its requests, sends a warm-up, switches instrumentation on with
`callgrind_control -i on`, sends a fixed number of requests, and switches it off. The count is
the Python process's own (app, Flask, SQLAlchemy, the driver and, on SQLite, the database
engine, which runs in-process); on PostgreSQL the server's work is in another process and is
not in the count.

Pairs, each judged as a ratio of instructions per request (fewer instructions = faster):
- verification against the reference route (one SELECT), at each registry size;
- issuing a bill, recording a payment and honoring a block against the write reference
  (`POST /bench/write`: one UPDATE by a unique index and one commit).

    .venv/bin/python bench/instructions.py --backend sqlite --patrons 10000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness

HOMES = 10
READS = ("reference", "verify")
WRITES = ("write_reference", "issue_bill", "record_payment", "honor_block")
# Not the production defaults: a key cache that expired, or a traffic flush that came due,
# during a slow instrumented window would make the count depend on the clock. Both are
# amortised over hundreds of requests a second in production (docs/operations.md).
STEADY = {"RECIPROCITY_KEY_CACHE_SECONDS": "3600", "RECIPROCITY_TRAFFIC_FLUSH_SECONDS": "3600",
          "PYTHONHASHSEED": "0"}


# --- the instrumented process ------------------------------------------------------------------

def _callgrind(switch: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True,
                   capture_output=True)


def _requests(app, scenario: str, count: int, patrons: int, key: str) -> list[tuple]:
    """(path, body, headers) for `count` requests of a scenario; writes prepared beforehand."""
    from app.libraries.service import issue_library_key

    rng = random.Random(7)
    lend = {"Authorization": f"Bearer {key}"}
    per_home = patrons // HOMES

    def card(home: int, serial: int) -> str:
        return harness.card_number(home, serial)

    if scenario in READS:
        path = "/api/v1/verifications" if scenario == "verify" else "/bench/reference"
        out = []
        for _ in range(count):
            home = rng.randrange(HOMES)
            # 90% registered cards, 10% never registered, as the throughput benchmark sends.
            serial = rng.randrange(per_home) if rng.random() < 0.9 else per_home + rng.randrange(
                10**6)
            out.append((path, {"card_number": card(home, serial),
                               "home_library": harness.home_code(home)}, lend))
        return out
    if scenario == "write_reference":
        return [("/bench/write", {"home_library": harness.home_code(n % HOMES)}, lend)
                for n in range(count)]
    infraction = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    item = {"title": "The Prairie Years", "barcode": "31234000123456", "format": "book",
            "kind": "lost", "in_print": True, "list_price_cents": 2500}

    def bill_body(serial: int) -> dict:
        return {"card_number": card(0, serial), "home_library": harness.home_code(0),
                "infraction_date": infraction, "items": [item]}

    # Good-standing patrons of home library 0, one per request.
    serials = [s for s in range(per_home) if harness.patron_fields(s)["standing"] == "good"]
    serials = serials[:count]
    if scenario == "issue_bill":
        return [("/api/v1/bills", bill_body(s), lend) for s in serials]
    with app.app_context():
        _, home_key = issue_library_key(harness.home_code(0), "bench")
    home = {"Authorization": f"Bearer {home_key}"}
    client = app.test_client()
    bills = []
    for s in serials:
        response = client.post("/api/v1/bills", json=bill_body(s), headers=lend)
        assert response.status_code == 201, response.get_json()
        bills.append(response.get_json()["id"])
    if scenario == "record_payment":
        return [(f"/api/v1/bills/{b}/payments", {"amount_cents": 100, "paid_by": "patron"},
                 home) for b in bills]
    blocks = []
    for s, b in zip(serials, bills):
        response = client.post("/api/v1/blocks", headers=lend, json={
            "card_number": card(0, s), "home_library": harness.home_code(0), "kind": "block",
            "bill_ids": [b]})
        assert response.status_code == 201, response.get_json()
        blocks.append(response.get_json()["id"])
    return [(f"/api/v1/blocks/{b}/honor", {}, home) for b in blocks]


def inner(args) -> None:
    """Runs under callgrind: warm up, count `--requests` requests of one scenario, report."""
    import wsgi_bench

    app = wsgi_bench.app
    planned = _requests(app, args.inner, args.warmup + args.requests, args.patrons, args.key)
    if len(planned) < args.warmup + args.requests:
        sys.exit(f"only {len(planned)} requests could be prepared")
    client = app.test_client()
    statuses = Counter()
    for n, (path, body, headers) in enumerate(planned):
        if n == args.warmup:
            _callgrind("on")
        response = client.post(path, json=body, headers=headers)
        if n >= args.warmup:
            statuses[response.status_code] += 1
    _callgrind("off")
    print(json.dumps({"statuses": statuses}))
    if any(status >= 400 for status in statuses):
        sys.exit(f"{args.inner}: failed requests {dict(statuses)}")


# --- the driver ------------------------------------------------------------------------------

def count(ws, url: str, scenario: str, patrons: int, key: str, args) -> dict:
    """Run one scenario under callgrind; its instructions per request."""
    out = os.path.join(ws.dir, f"callgrind.{scenario}.out")
    python = sys.executable  # the virtualenv's interpreter (a symlink, not a wrapper script)
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
               f"--callgrind-out-file={out}", python, os.path.abspath(__file__),
               "--inner", scenario, "--patrons", str(patrons), "--key", key,
               "--requests", str(args.requests), "--warmup", str(args.warmup)]
    env = harness.app_env(url, **STEADY)
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=harness.REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    statuses = json.loads(done.stdout.strip().splitlines()[-1])["statuses"]
    with open(out) as handle:
        total = int(re.search(r"^totals: (\d+)", handle.read(), re.M).group(1))
    if args.keep:
        shutil.copy(out, os.path.join(args.keep, f"callgrind.{ws.backend}.{patrons}.{scenario}"))
    return {"scenario": scenario, "instructions": total, "per_request": total / args.requests,
            "statuses": statuses, "seconds": round(time.monotonic() - started, 1)}


def build(ws, patrons: int) -> tuple[str, str]:
    """A migrated database with the federation and `patrons` patrons; (url, lending key)."""
    url = ws.new_database(f"instr_{patrons}")
    harness.migrate(url)
    ids, key = harness.admit_federation(url, HOMES)
    rows = harness.stored_rows(ids, harness.spread(patrons, HOMES), harness.HMAC_KEY.encode(),
                               datetime.now(UTC), ws.backend)
    harness.raw_insert(ws.backend, url, rows)
    harness.analyze(ws.backend, url)
    return url, key


def main() -> int:
    """Parse arguments; run the inner process or the whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patrons", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="counted, per scenario")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--writes", action=argparse.BooleanOptionalAction, default=True,
                        help="also the write scenarios (at the smallest size)")
    parser.add_argument("--reads", action=argparse.BooleanOptionalAction, default=True,
                        help="verification and its reference (--no-reads: the writes only)")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--keep", help="copy the callgrind files into this folder")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        args.patrons = args.patrons[0]
        inner(args)
        return 0
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed (Debian: apt-get install valgrind)")
    harness.install_signal_handlers()
    ws = harness.Workspace(args.backend)
    results = []
    try:
        for size in args.patrons:
            url, key = build(ws, size)
            scenarios = (READS if args.reads else ()) + (
                WRITES if args.writes and size == min(args.patrons) else ())
            for scenario in scenarios:
                result = count(ws, url, scenario, size, key, args)
                result["patrons"] = size
                results.append(result)
                print(f"{args.backend} {size:>9,} {scenario:<16} "
                      f"{result['per_request']:>12,.0f} instructions/request "
                      f"{result['statuses']} ({result['seconds']} s)", flush=True)
            ws.drop_database(url)
    finally:
        ws.close()
    by = {(r["patrons"], r["scenario"]): r["per_request"] for r in results}
    print(f"\n{harness.machine_line()}\n{args.backend}, {args.requests} requests counted after "
          f"{args.warmup} warm-up, per scenario")
    verdicts = []
    for size in args.patrons if args.reads else ():
        ratio = by[(size, "reference")] / by[(size, "verify")]
        verdicts.append(ratio >= 0.7)
        print(f"verify vs reference at {size:,}: {ratio:.3f} (goal >= 0.7) "
              f"{'PASS' if ratio >= 0.7 else 'MISS'}")
    if len(args.patrons) > 1 and args.reads:
        small, large = min(args.patrons), max(args.patrons)
        growth = by[(large, "verify")] / by[(small, "verify")]
        verdicts.append(growth <= 1.2)
        print(f"verify cost at {large:,} / at {small:,}: {growth:.3f} (goal <= 1.2) "
              f"{'PASS' if growth <= 1.2 else 'MISS'}")
    size = min(args.patrons)
    if (size, "write_reference") in by:
        for scenario in WRITES[1:]:
            ratio = by[(size, "write_reference")] / by[(size, scenario)]
            verdicts.append(ratio >= 0.5)
            print(f"{scenario} vs write reference: {ratio:.3f} (goal >= 0.5) "
                  f"{'PASS' if ratio >= 0.5 else 'MISS'}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"backend": args.backend, "results": results}, handle, indent=1)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
