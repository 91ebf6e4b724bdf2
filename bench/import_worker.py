"""One roster import through the app's own path, in a process of its own (for its peak RSS).

    python bench/import_worker.py --url URL --code CODE --file ROSTER.csv

Does what `flask patrons import CODE FILE` does (app/cli.py): the file opened as bytes,
`read_csv` with the roster's encoding (UTF-8), `import_roster` with the configured
IMPORT_BATCH_SIZE and an on_batch callback that reads the file position, minus the progress
bar. Prints one JSON object: seconds
(wall and CPU), the RSS before the import, the peak RSS after it, and the import summary.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness


def main() -> None:
    """Import the file and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--code", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--encoding", default="utf-8", help="as the CLI's --encoding")
    parser.add_argument("--profile", default=None, help="write a cProfile to this path")
    args = parser.parse_args()

    from app.libraries.service import get_library
    from app.patrons.roster import READERS
    from app.patrons.service import import_roster

    app = harness.make_app(args.url)
    with app.app_context():
        library = get_library(args.code)
        key = app.config["HMAC_KEY"].encode("utf-8")
        with open(args.file, "rb") as raw:
            position = [0]

            def on_batch(summary):
                position[0] = raw.tell()  # what the CLI's progress bar reads

            rss_before = harness.rss_mb()
            peak_before = harness.peak_rss_mb()
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            began, cpu_began = time.perf_counter(), time.process_time()
            summary = import_roster(library.id, READERS["csv"](raw, args.encoding), key,
                                    batch_size=app.config["IMPORT_BATCH_SIZE"],
                                    on_batch=on_batch)
            seconds = time.perf_counter() - began
            cpu_seconds = time.process_time() - cpu_began
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
        peak_after = harness.peak_rss_mb()
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "rss_before_mb": rss_before,
                      "peak_before_mb": peak_before, "peak_after_mb": peak_after,
                      "batch_size": app.config["IMPORT_BATCH_SIZE"],
                      "summary": {"created": summary.created, "updated": summary.updated,
                                  "unchanged": summary.unchanged, "rejected": summary.rejected,
                                  "errors": summary.errors[:5]}}))


if __name__ == "__main__":
    main()
