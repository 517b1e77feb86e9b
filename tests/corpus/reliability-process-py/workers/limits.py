"""Deadlines on work: jobs, queries, children."""

import signal
import sqlite3
import time


class JobTimeout(Exception):
    pass


def _expired(signum, frame):
    raise JobTimeout()


def run_job(job, seconds):
    signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)  # expect: reliability.time-limit
    try:
        return job()
    finally:
        signal.alarm(0)


def run_precise(job, seconds):
    signal.setitimer(signal.ITIMER_REAL, seconds)  # expect: reliability.time-limit
    try:
        return job()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def count_events(path, ms):
    conn = sqlite3.connect(path)
    deadline = time.perf_counter() + ms / 1000

    def interrupt():
        if time.perf_counter() >= deadline:
            return 1
        return 0

    conn.set_progress_handler(interrupt, 1000)  # expect: reliability.time-limit
    try:
        return conn.execute("SELECT count(*) FROM events").fetchall()
    finally:
        conn.set_progress_handler(None, 1000)


def report(cursor):
    cursor.execute("SET LOCAL statement_timeout = '5s'")  # expect: reliability.time-limit
    cursor.execute("SELECT count(*) FROM events")
    return cursor.fetchone()


def monitor(worker, job):
    while worker.busy():
        time.sleep(1)
        if worker.elapsed() > job.timeout + 30:  # expect: reliability.time-limit
            worker.kill_child()
            break


def progress(bar, done, total):
    # Comparing with a limit to draw a bar stops nothing.
    if done > total:
        bar.finish()
