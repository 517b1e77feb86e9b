"""Jobs fanned out to a thread pool, with counters kept at module level."""

from concurrent.futures import ThreadPoolExecutor

processed = 0
failures = {}  # expect: durability.unbounded-collection
seen = {}  # expect: durability.unbounded-collection
results = []  # expect: durability.unbounded-collection


def handle(job):
    global processed
    processed = processed + 1  # expect: concurrency.shared-module-state
    try:
        results.append(job())
    except Exception as err:
        key = type(err).__name__
        failures[key] = failures.get(key, 0) + 1  # expect: concurrency.shared-module-state
        raise
    if job not in seen:  # expect: concurrency.check-then-act
        seen[job] = True


def run(jobs):
    with ThreadPoolExecutor(max_workers=8) as pool:  # expect: reliability.bulkhead
        return list(pool.map(handle, jobs))


def local_only():
    processed = 0
    processed += 1
    return processed
