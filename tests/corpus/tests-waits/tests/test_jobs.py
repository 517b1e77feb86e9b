"""Sleeps in the test's own flow wait on the real clock; sleeps in code handed to the code under test are its work."""

import threading
import time

import pytest


def slow_job(seconds):
    time.sleep(2)
    return seconds


class SlowWorker(Worker):
    def perform_job(self, job):
        time.sleep(0.5)
        return super().perform_job(job)


def settle():
    time.sleep(0.5)  # expect: tests.sleep-in-test


def touch_later(path):
    time.sleep(0.2)  # expect: tests.sleep-in-test
    path.touch()


@pytest.fixture
def started_worker(queue):
    worker = SlowWorker(queue)
    threading.Thread(target=worker.work).start()
    time.sleep(1)  # expect: tests.sleep-in-test
    yield worker


def test_job_finishes(queue, started_worker, tmp_path):
    job = queue.enqueue(slow_job, 1)
    settle()
    threading.Thread(target=touch_later, args=(tmp_path / "flag",)).start()
    time.sleep(3)  # expect: tests.sleep-in-test
    assert job.is_finished
