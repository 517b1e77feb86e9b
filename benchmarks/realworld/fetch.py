"""Fetch the real projects of ``corpus.toml`` into a folder, each checked against its pin.

Usage: python benchmarks/realworld/fetch.py [--into DIR] [--mirror DIR] [NAME ...]

- ``pypi`` projects: ``pip download --no-deps --no-binary NAME NAME==VERSION`` from the package index pip is
  configured with; the sdist's sha256 must equal the pin; it is unpacked to ``DIR/<name>``.
- ``github`` projects: ``git clone`` of ``https://github.com/OWNER/REPO`` (or, with ``--mirror``, of a local git
  folder ``MIRROR/OWNER+REPO/repo``: on machines that reach only the package registries), then the pinned
  commit is checked out into ``DIR/<name>``; its tree id must equal the pin (git's own hash of every file).

Nothing is fetched twice: an unpacked project is kept. The default folder is ``~/.cache/assess-corpus``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_INTO = Path.home() / ".cache" / "assess-corpus"


def corpus() -> dict[str, dict[str, Any]]:
    """The projects of corpus.toml, by name."""
    return dict(tomllib.loads((HERE / "corpus.toml").read_text(encoding="utf-8"))["project"])


def fetch(name: str, spec: dict[str, Any], into: Path, mirror: Path | None) -> Path:
    """The project's folder under ``into``, fetched and checked if it is not there yet. Raises SystemExit on a
    pin that does not match."""
    folder = into / name
    if folder.is_dir():
        return folder
    into.mkdir(parents=True, exist_ok=True)
    if spec["source"] == "pypi":
        _pypi(spec, folder)
    else:
        _github(spec, folder, mirror)
    return folder


def _pypi(spec: dict[str, Any], folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", spec["name"],
             f"{spec['name']}=={spec['version']}", "-d", tmp],
            check=True,
        )  # fmt: skip
        sdist = next(Path(tmp).glob("*.tar.gz"))
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != spec["sha256"]:
            raise SystemExit(f"{sdist.name}: sha256 {digest}, pinned {spec['sha256']}")
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter="data")
        shutil.move(str(Path(tmp) / f"{spec['name']}-{spec['version']}"), folder)


def _github(spec: dict[str, Any], folder: Path, mirror: Path | None) -> None:
    owner, repo = spec["repo"].split("/")
    url = str(mirror / f"{owner}+{repo}" / "repo") if mirror else f"https://github.com/{owner}/{repo}.git"
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", "--no-checkout", url, str(clone)], check=True)
        tree = _git(clone, "rev-parse", f"{spec['commit']}^{{tree}}")
        if tree != spec["tree"]:
            raise SystemExit(f"{spec['repo']}@{spec['commit']}: tree {tree}, pinned {spec['tree']}")
        _git(clone, "-c", "advice.detachedHead=false", "checkout", "-q", spec["commit"])
        shutil.rmtree(clone / ".git")
        shutil.move(str(clone), folder)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects to fetch (default: all)")
    parser.add_argument("--into", type=Path, default=DEFAULT_INTO)
    parser.add_argument("--mirror", type=Path, help="local git folders OWNER+REPO/repo instead of github.com")
    args = parser.parse_args(argv)
    projects = corpus()
    for name in args.names or projects:
        print(fetch(name, projects[name], args.into, args.mirror))
    return 0


if __name__ == "__main__":
    sys.exit(main())
