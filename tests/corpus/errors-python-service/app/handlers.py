"""Look-alikes: handlers that narrow the type, re-raise, return an error, or record a state."""

import logging
import os

log = logging.getLogger(__name__)


def lookup(table, key):
    try:
        return table[key]
    except KeyError:
        pass  # narrow and deliberate: a missing key means "no value"
    return None


def close_quietly(conn):
    try:
        conn.close()
    except OSError:
        pass


def parse(text):
    try:
        return int(text)
    except Exception:
        log.exception("bad number %r", text)
        raise


def api(request, do):
    try:
        return do(request), 200
    except Exception as err:
        log.exception("request failed")
        return {"error": str(err)}, 500


def run_job(job):
    ok = True
    try:
        job.run()
    except Exception:
        log.exception("job failed")
        ok = False
    return ok


def retry_later(task):
    try:
        task.run()
    except Exception:
        task.schedule_retry()


def best_effort_cleanup(path):
    try:
        os.remove(path)
    except Exception:
        pass  # best effort: a leftover temp file is harmless


def pragma_is_not_an_explanation(path):
    try:
        os.replace(path, path + ".bak")
    except Exception:  # expect: errors.swallowed-exception
        pass  # noqa: S110


def log_message(fmt, *args):
    pass  # a method that does nothing is not a handler
