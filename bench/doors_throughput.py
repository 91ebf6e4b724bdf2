"""The NCIP and SIP2 doors' throughput against JSON verification, on one database.

    .venv/bin/python bench/doors_throughput.py [--backend sqlite|postgresql] [--patrons N]

One migrated database is filled through the raw driver (default 100K patrons over ten home
libraries), as verify_throughput.py does. gunicorn (gthread, 2 workers x 4 threads, the
production shape) serves the app for `POST /api/v1/verifications` and `POST /ncip`;
`reciprocity sip2 serve` (one process, a thread per connection) serves SIP2. Every request asks
about a card by its number alone, so all three take the same verification path (the home found
by the card's prefix, R15) and differ only in their door. Load generators run in their own
processes with 16 connections (loadgen.py for HTTP, sip_loadgen.py for SIP2: each connection
logs in once, then sends 23 Patron Status). After a warm-up, rounds of JSON, NCIP, SIP2.
Reported: the median req/s of each and each door over JSON (goal >= 0.8).
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness

GOAL = 0.8
SIP_LOGIN, SIP_PASSWORD = "bench-desk", "bench-desk-password"
NCIP_TEMPLATE = ('<?xml version="1.0" encoding="UTF-8"?><NCIPMessage '
                 'xmlns="http://www.niso.org/2008/ncip" xmlns:ncip="http://www.niso.org/2008/ncip" '
                 'ncip:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">'
                 "<LookupUser><UserId><UserIdentifierValue>{card}</UserIdentifierValue>"
                 "</UserId></LookupUser></NCIPMessage>")


def write_cards(folder: str, counts: list[int], how_many: int, miss_rate: float) -> dict:
    """The same cards for the three doors: JSON bodies, NCIP messages, bare card numbers."""
    rng = random.Random(20261202)
    cards = []
    for _ in range(how_many):
        index = rng.randrange(len(counts))
        serial = (counts[index] + rng.randrange(1_000_000) if rng.random() < miss_rate
                  else rng.randrange(counts[index]))
        cards.append(harness.card_number(index, serial))
    paths = {name: os.path.join(folder, f"{name}.txt") for name in ("json", "ncip", "sip")}
    with open(paths["json"], "w") as out:
        out.writelines(json.dumps({"card_number": card}) + "\n" for card in cards)
    with open(paths["ncip"], "w") as out:
        out.writelines(NCIP_TEMPLATE.format(card=card) + "\n" for card in cards)
    with open(paths["sip"], "w") as out:
        out.writelines(card + "\n" for card in cards)
    return paths


def set_sip_account(url: str) -> None:
    """The lending library's SIP account, through the app's own CLI."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "sip2", "account", "set", "BLEND",
         SIP_LOGIN, "--password-stdin"], input=SIP_PASSWORD + "\n", cwd=harness.REPO,
        env=harness.app_env(url), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"sip2 account set failed: {result.stderr}")


def start_sip(ws, url: str) -> tuple[subprocess.Popen, int]:
    """`sip2 serve` on a free loopback port, in a session of its own; (process, port)."""
    port = harness.free_port()
    log = open(os.path.join(ws.dir, "sip2.log"), "w")  # noqa: SIM115 (the server keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "sip2", "serve", "--port", str(port)],
        cwd=harness.REPO, env=harness.app_env(url), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    ws.servers.append(process)
    for _ in range(300):
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    with open(os.path.join(ws.dir, "sip2.log")) as log:
        raise RuntimeError(f"sip2 serve did not start: {log.read()[-3000:]}")


def load(door: str, ports: dict, paths: dict, key: str, requests: int, connections: int,
         offset: int, max_seconds: float) -> dict:
    """One bounded run of the door's load generator in its own process."""
    if door == "sip":
        command = [sys.executable, os.path.join(harness.BENCH_DIR, "sip_loadgen.py"),
                   "--port", str(ports["sip"]), "--login", SIP_LOGIN, "--password",
                   SIP_PASSWORD, "--cards", paths["sip"]]
    else:
        command = [sys.executable, os.path.join(harness.BENCH_DIR, "loadgen.py"),
                   "--port", str(ports["http"]), "--auth", key, "--bodies", paths[door],
                   "--path", "/api/v1/verifications" if door == "json" else "/ncip",
                   "--content-type", "application/json" if door == "json"
                   else "application/xml"]
    command += ["--requests", str(requests), "--connections", str(connections),
                "--offset", str(offset), "--max-seconds", str(max_seconds)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 90)
    if result.returncode != 0:
        raise RuntimeError(f"{door} load failed: {result.stderr}")
    summary = json.loads(result.stdout)
    summary["load_average"] = harness.load_average()
    return summary


def main() -> int:
    """Build, serve, load, report; exit 0 when both doors reach the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patrons", type=int, default=100_000)
    parser.add_argument("--homes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000, help="requests per timed run")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--miss-rate", type=float, default=0.1)
    parser.add_argument("--max-run-seconds", type=float, default=120.0)
    parser.add_argument("--time-limit", type=int, default=1800, help="whole run, seconds")
    parser.add_argument("--json", default=None, help="also write every figure to this file")
    args = parser.parse_args()

    harness.install_signal_handlers()
    harness.time_limit(args.time_limit)
    print(f"doors_throughput: {args.backend}, {harness.machine_line()}")
    ws = harness.Workspace(args.backend)
    try:
        url = ws.new_database("doors")
        harness.migrate(url)
        library_ids, key = harness.admit_federation(url, args.homes)
        counts = harness.spread(args.patrons, args.homes)
        harness.raw_insert(args.backend, url, harness.stored_rows(
            library_ids, counts, harness.HMAC_KEY.encode("utf-8"),
            datetime.now(UTC), args.backend))
        harness.analyze(args.backend, url)
        set_sip_account(url)
        paths = write_cards(ws.dir, counts, max(20_000, args.requests * 2), args.miss_rate)
        _, http_port = harness.start_gunicorn(ws, url, "doors", 2, 4)
        _, sip_port = start_sip(ws, url)
        ports = {"http": http_port, "sip": sip_port}
        doors = ("json", "ncip", "sip")
        for door in doors:
            warm = load(door, ports, paths, key, args.warmup, args.connections, 0,
                        args.max_run_seconds)
            if warm["errors"] or not warm["ok"]:
                raise RuntimeError(f"{door} warm-up failed: {warm}")
        runs, offset = [], args.warmup
        for round_number in range(1, args.rounds + 1):
            for door in doors:
                result = load(door, ports, paths, key, args.requests, args.connections,
                              offset, args.max_run_seconds)
                offset += args.requests
                result.update(round=round_number, door=door)
                runs.append(result)
                print(f"  round {round_number} {door:4} {result['rps']:8.1f} req/s  p50 "
                      f"{result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  errors "
                      f"{result['errors']}  load {result['load_average']}", flush=True)
        medians = {door: statistics.median(r["rps"] for r in runs if r["door"] == door)
                   for door in doors}
        errors = sum(r["errors"] for r in runs)
        rows = [(door, f"{medians[door]:.1f}", f"{medians[door] / medians['json']:.2f}",
                 "-" if door == "json" else
                 ("PASS" if medians[door] / medians["json"] >= GOAL else "MISS"))
                for door in doors]
        harness.print_table(f"Median req/s ({args.backend}, {args.patrons:,} patrons, "
                            f"{args.rounds} rounds), goal door/json >= {GOAL}; errors {errors}",
                            ("door", "req/s", "x json", "goal"), rows)
        if args.json:
            with open(args.json, "w") as out:
                json.dump({"args": vars(args), "runs": runs, "medians": medians}, out, indent=1)
        return 0 if errors == 0 and all(medians[d] / medians["json"] >= GOAL
                                         for d in ("ncip", "sip")) else 1
    finally:
        ws.close()


if __name__ == "__main__":
    sys.exit(main())
