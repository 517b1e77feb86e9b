"""A pre-fork worker pool: the parent replaces workers that die."""

import multiprocessing
import subprocess
import time


class Pool:
    def __init__(self, target, size):
        self.target = target
        self.children = [multiprocessing.Process(target=target) for _ in range(size)]
        self.stopping = multiprocessing.Event()

    def run(self):
        while not self.stopping.wait(0.5):
            self.replace_dead()

    def replace_dead(self):
        for index, child in enumerate(self.children):
            if child.is_alive():
                continue
            child.join()
            fresh = multiprocessing.Process(target=self.target)  # expect: reliability.process-supervision, reliability.respawn-without-backoff
            fresh.start()
            self.children[index] = fresh


class Sidecar:
    """Restarts a helper command, waiting longer after each quick crash and giving up after five."""

    def __init__(self, argv):
        self.argv = argv
        self.crashes = 0

    def watch(self):
        proc = subprocess.Popen(self.argv)
        while True:
            time.sleep(1)
            if proc.poll() is None:
                continue
            self.crashes += 1
            if self.crashes > 5:
                raise SystemExit("helper keeps crashing")
            time.sleep(min(60, 2**self.crashes))
            proc = subprocess.Popen(self.argv)  # expect: reliability.process-supervision


def restart_on_exit(make, check_every):
    child = make()
    while True:
        time.sleep(check_every)
        if child.exitcode is not None:
            child = multiprocessing.Process(target=make)  # expect: reliability.process-supervision, reliability.respawn-without-backoff
            child.start()


def babysit(argv):
    """How often this runs is up to its caller."""
    proc = subprocess.Popen(argv)
    if proc.poll() is not None:
        proc = subprocess.Popen(argv)  # expect: reliability.process-supervision, reliability.respawn-without-backoff
    return proc


def run_once(argv):
    # Starting a command and waiting for it is not supervision.
    proc = subprocess.Popen(argv)
    if proc.wait() != 0:
        raise RuntimeError("failed")
