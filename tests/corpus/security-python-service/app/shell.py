"""Running commands."""

import os
import subprocess


def archive(name: str) -> None:
    subprocess.run(f"tar czf {name}.tgz data/", shell=True, check=True)  # expect: security.shell-injection


def cleanup(path: str) -> None:
    os.system("rm -rf " + path)  # expect: security.shell-injection


def grep(pattern: str, file: str) -> str:
    return subprocess.check_output("grep " + pattern + " " + file, shell=True, text=True)  # expect: security.shell-injection


def status() -> str:
    return subprocess.run("git status --short", shell=True, capture_output=True, text=True, check=True).stdout


def safe_grep(pattern: str, file: str) -> str:
    return subprocess.run(["grep", "--", pattern, file], capture_output=True, text=True, check=False).stdout
