"""The cost of reaching out, as ratios to a registry verification measured in the same run.

Two federations (A and B) are served by gunicorn on loopback, each with its own database,
with the sample home ILS (scripts/sample_ils.py) answering at once. One desk of A verifies,
one request at a time over a keep-alive connection, round-robin so that the machine's load
falls on every kind alike:

- registry: a card of a library of A with no live system (the baseline);
- ncip, sip2, json: a card of a library of A whose own system is asked live (no cache);
- peer: a card of a library of B, forwarded to B, which answers from its registry.

It prints the median and 90th percentile latency of each and the ratio of the medians to the
registry's. Everything lives in one temporary directory (and, for PostgreSQL, a throwaway
cluster) removed at the end; traffic goes only to 127.0.0.1.

    .venv/bin/python bench/reach_overhead.py --backend sqlite [--requests 300] [--json FILE]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import harness
import requests

CARD_LIVE = "30001000000001"  # the sample ILS's patron in good standing
KINDS = ("registry", "ncip", "sip2", "json", "peer")
CREDENTIALS_KEY = "ab" * 32


def api(session, method, url, key, body=None, expect=(200, 201, 204)):
    """One setup call; its JSON body."""
    response = session.request(method, url, json=body, timeout=30,
                               headers={"Authorization": f"Bearer {key}"})
    if response.status_code not in expect:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def admin_key(url: str) -> str:
    """An office key for the federation at `url`, issued through the app's service."""
    from app.extensions import db
    from app.libraries.service import issue_admin_key

    app = harness.make_app(url)
    with app.app_context():
        _, key = issue_admin_key("bench")
        db.session.remove()
        db.engine.dispose()
    return key


def admit(session, root, admin, code, prefix) -> str:
    """Admit a public library with one card prefix; its key."""
    api(session, "POST", f"{root}/libraries", admin, {
        "code": code, "name": f"Bench {code}", "type": "public", "membership": "full",
        "card_prefixes": [prefix], "contact": {"email": f"{code.lower()}@bench.invalid"}})
    return api(session, "POST", f"{root}/libraries/{code}/keys", admin, {})["key"]


def setup(session, a, b, ils_http, sip_port, admin_a, admin_b) -> tuple[str, dict]:
    """The two federations, the live endpoints and the peering; the desk's key and bodies."""
    desk = admit(session, a, admin_a, "DESK", "70")
    registry = admit(session, a, admin_a, "REG", "71")
    api(session, "POST", f"{a}/patrons", registry,
        {"card_number": "7100000000001", "expires_on": "2099-12-31"})
    endpoints = {
        "ncip": {"protocol": "ncip", "address": f"{ils_http}/ncip/ok", "to_agency_id": "HOME"},
        "sip2": {"protocol": "sip2", "address": f"127.0.0.1:{sip_port}",
                 "institution_id": "OK", "login_user": "bench", "login_password": "sip-secret"},
        "json": {"protocol": "json", "address": f"{ils_http}/json/ok"},
    }
    for n, (kind, body) in enumerate(endpoints.items()):
        key = admit(session, a, admin_a, f"LIVE-{kind.upper()}", f"72{n}")
        shown = api(session, "PUT", f"{a}/libraries/LIVE-{kind.upper()}/home-system", key, body)
        if kind == "json":
            requests.post(f"{ils_http}/control/json-secret", json={"secret": shown["secret"]},
                          timeout=10)
    bhome = admit(session, b, admin_b, "BHOME", "62")
    api(session, "POST", f"{b}/patrons", bhome,
        {"card_number": "6200000000001", "expires_on": "2099-12-31"})
    key_for_b = api(session, "POST", f"{a}/peers", admin_a, {
        "code": "fed-b", "name": "Federation B", "base_url": b.removesuffix("/api/v1")}
    )["incoming_key"]
    key_for_a = api(session, "POST", f"{b}/peers", admin_b, {
        "code": "fed-a", "name": "Federation A", "base_url": a.removesuffix("/api/v1"),
        "outgoing_key": key_for_b})["incoming_key"]
    api(session, "PATCH", f"{a}/peers/fed-b", admin_a, {"outgoing_key": key_for_a})
    api(session, "POST", f"{a}/peers/fed-b/sync", admin_a)
    bodies = {"registry": {"card_number": "7100000000001"},
              "peer": {"card_number": "6200000000001"},
              **{kind: {"card_number": CARD_LIVE, "home_library": f"LIVE-{kind.upper()}"}
                 for kind in endpoints}}
    return desk, bodies


def measure(session, a, desk, bodies, requests_per_kind, warmup):
    """Latencies (seconds) per kind, round-robin; each answer's source is checked."""
    expected = {"registry": "registry", "ncip": "home_system", "sip2": "home_system",
                "json": "home_system", "peer": "peer"}
    latencies = {kind: [] for kind in KINDS}
    headers = {"Authorization": f"Bearer {desk}"}
    for n in range(warmup + requests_per_kind):
        for kind in KINDS:
            started = time.perf_counter()
            response = session.post(f"{a}/verifications", json=bodies[kind], headers=headers,
                                    timeout=30)
            elapsed = time.perf_counter() - started
            answer = response.json()
            if response.status_code != 200 or answer.get("source") != expected[kind]:
                raise RuntimeError(f"{kind}: {response.status_code} {answer}")
            if n >= warmup:
                latencies[kind].append(elapsed)
    return latencies


def main() -> int:
    """Run once and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300, help="measured per kind")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured rounds first")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args()
    harness.install_signal_handlers()
    ws = harness.Workspace(args.backend)
    ils = None
    try:
        urls = {name: ws.new_database(f"reach_{name}") for name in ("a", "b")}
        for url in urls.values():
            harness.migrate(url)
        admins = {name: admin_key(url) for name, url in urls.items()}
        ils = subprocess.Popen([sys.executable, os.path.join(harness.REPO, "scripts",
                                                             "sample_ils.py")],
                               stdout=subprocess.PIPE, text=True)
        http_port, sip_port = ils.stdout.readline().split()
        live_env = {"RECIPROCITY_REACH_ALLOW_LOOPBACK": "true",
                    "RECIPROCITY_HOME_CACHE_SECONDS": "0",
                    "RECIPROCITY_CREDENTIALS_KEY": CREDENTIALS_KEY,
                    "RECIPROCITY_VERIFY_BUDGET_SECONDS": "5"}
        roots = {}
        for name, url in urls.items():
            _, port = harness.start_gunicorn(ws, url, name, 1, 4, live_env)
            roots[name] = f"http://127.0.0.1:{port}/api/v1"
        session = requests.Session()
        session.trust_env = False
        desk, bodies = setup(session, roots["a"], roots["b"], f"http://127.0.0.1:{http_port}",
                             int(sip_port), admins["a"], admins["b"])
        latencies = measure(session, roots["a"], desk, bodies, args.requests, args.warmup)
        base = statistics.median(latencies["registry"])
        rows, figures = [], {"machine": harness.machine_line(), "backend": args.backend,
                             "requests_per_kind": args.requests, "kinds": {}}
        for kind in KINDS:
            values = sorted(latencies[kind])
            median = statistics.median(values)
            p90 = values[int(len(values) * 0.9) - 1]
            rows.append((kind, f"{median * 1000:.1f}", f"{p90 * 1000:.1f}",
                         f"{median / base:.2f}"))
            figures["kinds"][kind] = {"median_ms": round(median * 1000, 2),
                                      "p90_ms": round(p90 * 1000, 2),
                                      "ratio_to_registry": round(median / base, 2)}
        print(harness.machine_line())
        harness.print_table(f"Verification latency, {args.backend}, one desk, "
                            f"{args.requests} each (round-robin)",
                            ("kind", "median ms", "p90 ms", "x registry"), rows)
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(figures, handle, indent=2)
        return 0
    finally:
        if ils is not None:
            ils.kill()
            ils.wait(timeout=10)
        ws.close()


if __name__ == "__main__":
    sys.exit(main())
