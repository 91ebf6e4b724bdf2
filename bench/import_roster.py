"""Roster import through the app's own path against the raw driver's bulk insert of the same rows.

    .venv/bin/python bench/import_roster.py [--backend sqlite|postgresql] [--patrons N]

A CSV roster of N patrons (default 1M) for one home library is imported by
bench/import_worker.py (what `flask patrons import` does: `read_csv` into `import_roster`) in
a process of its own, into a fresh migrated database; its peak RSS is compared with its RSS
just before the import. The baseline writes the same final rows (the app's HMACs and ids,
computed beforehand and not timed) into another fresh migrated database with the raw driver:
sqlite3 executemany in one transaction, or psycopg COPY. Both databases must end up with the
same patrons. Goals: app time <= 2x raw time, peak RSS growth < 200 MB.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness

TIME_GOAL = 2.0
MEMORY_GOAL_MB = 200.0


def fresh_database(ws, name: str) -> tuple[str, int]:
    """A new database, migrated with the app's CLI, holding the one home library."""
    url = ws.new_database(name)
    harness.migrate(url)
    ids, _ = harness.admit_federation(url, 1, with_key=False)
    return url, ids[0]


def app_import(ws, backend: str, roster: str, patrons: int, run: int, timeout: int) -> dict:
    """Import the roster through the app in a subprocess; returns its report and the URL."""
    url, _ = fresh_database(ws, f"import_app_{run}")
    command = [sys.executable, os.path.join(harness.BENCH_DIR, "import_worker.py"),
               "--url", url, "--code", harness.home_code(0), "--file", roster]
    postmaster = harness.postmaster_pid(ws)
    db_before = harness.process_tree_cpu(postmaster) if postmaster else 0.0
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            cwd=harness.REPO, env=harness.app_env(url))
    db_cpu = (harness.process_tree_cpu(postmaster) - db_before) if postmaster else 0.0
    if result.returncode != 0:
        raise RuntimeError(f"import worker failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    created = report["summary"]["created"]
    if created != patrons or report["summary"]["rejected"]:
        raise RuntimeError(f"app import: expected {patrons} created, got {report['summary']}")
    report["url"] = url
    report["total_cpu_seconds"] = report["cpu_seconds"] + db_cpu
    return report


def raw_import(ws, backend: str, patrons: int, run: int) -> dict:
    """Write the same final rows with the raw driver; prepare untimed, insert timed."""
    url, library_id = fresh_database(ws, f"import_raw_{run}")
    began = time.perf_counter()
    rows = list(harness.stored_rows([library_id], [patrons],
                                    harness.HMAC_KEY.encode("utf-8"),
                                    datetime.now(UTC), backend))
    prepared = time.perf_counter() - began
    postmaster = harness.postmaster_pid(ws)
    db_before = harness.process_tree_cpu(postmaster) if postmaster else 0.0
    began, cpu_began = time.perf_counter(), time.process_time()
    harness.raw_insert(backend, url, rows)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    db_cpu = (harness.process_tree_cpu(postmaster) - db_before) if postmaster else 0.0
    del rows
    if harness.count_patrons(backend, url) != patrons:
        raise RuntimeError("raw insert: wrong row count")
    return {"seconds": seconds, "prepare_seconds": prepared, "url": url,
            "total_cpu_seconds": cpu + db_cpu}


def main() -> int:
    """Generate the roster, run both imports, compare, report; exit 0 when the goals are met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patrons", type=int, default=1_000_000, help="roster lines")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (median reported)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip checking that both databases hold the same patrons")
    parser.add_argument("--time-limit", type=int, default=3600, help="whole run, seconds")
    parser.add_argument("--json", default=None, help="also write every figure to this file")
    args = parser.parse_args()

    harness.install_signal_handlers()
    harness.time_limit(args.time_limit)
    print(f"import_roster: {args.backend}, {harness.machine_line()}")
    ws = harness.Workspace(args.backend)
    try:
        roster = os.path.join(ws.dir, "roster.csv")
        began = time.perf_counter()
        harness.write_roster_csv(roster, [args.patrons])
        print(f"  roster: {args.patrons:,} lines, {os.path.getsize(roster) / 1e6:.1f} MB, "
              f"written in {time.perf_counter() - began:.1f} s", flush=True)
        apps, raws = [], []
        for run in range(args.repeat):
            # Alternate which goes first, so neither always has the warmer caches.
            order = ("app", "raw") if run % 2 == 0 else ("raw", "app")
            done = {}
            for which in order:
                if which == "app":
                    done["app"] = app_import(ws, args.backend, roster, args.patrons, run,
                                             args.time_limit)
                    r = done["app"]
                    print(f"  run {run + 1} app: {r['seconds']:.1f} s, RSS "
                          f"{r['rss_before_mb']:.0f} MB before, peak {r['peak_after_mb']:.0f} "
                          f"MB", flush=True)
                else:
                    done["raw"] = raw_import(ws, args.backend, args.patrons, run)
                    r = done["raw"]
                    print(f"  run {run + 1} raw: {r['seconds']:.1f} s insert "
                          f"(+{r['prepare_seconds']:.1f} s untimed row preparation)",
                          flush=True)
            if not args.no_compare:
                same = (harness.patron_digest(args.backend, done["app"]["url"])
                        == harness.patron_digest(args.backend, done["raw"]["url"]))
                done["app"]["same_rows"] = same
                if not same:
                    raise RuntimeError("the app's import and the raw insert stored different "
                                       "patrons: the comparison would not be fair")
            for r in done.values():
                ws.drop_database(r.pop("url"))
            apps.append(done["app"])
            raws.append(done["raw"])
        return report(args, apps, raws)
    finally:
        ws.close()


def report(args, apps: list[dict], raws: list[dict]) -> int:
    """Print the figures and the goals; return the exit status."""
    app_s = statistics.median(a["seconds"] for a in apps)
    raw_s = statistics.median(r["seconds"] for r in raws)
    prep_s = statistics.median(r["prepare_seconds"] for r in raws)
    growth = max(a["peak_after_mb"] - a["rss_before_mb"] for a in apps)
    app_cpu = statistics.median(a["total_cpu_seconds"] for a in apps)
    raw_cpu = statistics.median(r["total_cpu_seconds"] for r in raws)
    rows = [
        ("app: read_csv + import_roster", f"{app_s:.1f}", f"{args.patrons / app_s:,.0f}",
         f"{app_cpu:.1f}"),
        ("raw: insert of final rows", f"{raw_s:.1f}", f"{args.patrons / raw_s:,.0f}",
         f"{raw_cpu:.1f}"),
        ("raw: preparing those rows (untimed)", f"{prep_s:.1f}", "-", "-"),
    ]
    harness.print_table(f"{args.patrons:,} patrons, {args.backend}, median of {args.repeat}; "
                        "CPU = importing process + database server",
                        ("import", "seconds", "rows/s", "CPU seconds"), rows)
    apps_rss = apps[0]
    ratio = app_s / raw_s
    goals = [
        ("app time / raw insert time", f"{ratio:.2f}", f"<= {TIME_GOAL}",
         "PASS" if ratio <= TIME_GOAL else "MISS"),
        ("  cross-check: app CPU / raw insert CPU", f"{app_cpu / raw_cpu:.2f}", "", ""),
        ("  context: app time / (raw preparation + insert)",
         f"{app_s / (raw_s + prep_s):.2f}", "", ""),
        (f"peak RSS growth, MB ({apps_rss['rss_before_mb']:.0f} before, "
         f"{apps_rss['peak_after_mb']:.0f} peak)", f"{growth:.1f}", f"< {MEMORY_GOAL_MB:.0f}",
         "PASS" if growth < MEMORY_GOAL_MB else "MISS"),
        ("same patrons stored by both", str(all(a.get("same_rows", True) for a in apps)),
         "True", "PASS" if all(a.get("same_rows", True) for a in apps) else "MISS"),
    ]
    harness.print_table("Goals", ("measure", "measured", "goal", "result"), goals)
    print(f"\nload average at the end: {harness.load_average()} (other work on the machine "
          "stretches seconds; CPU seconds are far less sensitive to it)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": args.backend, "patrons": args.patrons, "apps": apps,
                       "raws": raws, "ratio": ratio, "rss_growth_mb": growth}, f, indent=1)
    return 0 if all(g[3] != "MISS" for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
