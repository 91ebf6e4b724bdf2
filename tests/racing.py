"""Racing requests: start calls at the same moment, each on its own thread and session."""

import threading

import requests


def race(calls):
    """Start every call at the same moment on its own thread; return their responses."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        session = requests.Session()
        barrier.wait()
        results[index] = call(session)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
