"""What the command lines share: exit codes, usage errors, printing text that is not assess's own, and checking
the target, the interpreter, ``--out`` and the chaos options. ``assess.cli`` and ``assess.cli_chaos`` both import it,
so neither imports the other (``cli`` only calls into ``cli_chaos`` for ``assess chaos``)."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from rich.text import Text

from assess.paths import sample_target
from assess.report.text import log_line

EXIT_OK = 0
EXIT_GATE = 1
"""The report was written, and the assessment fails ``--fail-on`` or ``--baseline``."""
EXIT_USAGE = 2
"""Bad arguments, or a target that does not exist or is not a folder."""
EXIT_STAGE_ERRORS = 3
"""The run finished and wrote its report, but at least one stage failed; the report says which."""
EXIT_OUTPUT = 4
"""A file could not be written or read (a full disk, a folder made read-only mid-run); no file is half-written."""
EXIT_INTERRUPTED = 130
"""SIGINT (Ctrl-C) or SIGTERM: the target's commands are killed, files already written stay whole."""


class UsageError(Exception):
    """A problem with the command line; printed as one line."""


def said(*parts: str | tuple[str, str]) -> Text:
    """One console line: each part a text or ``(text, style)``, shown as it is (never read as Rich
    markup or ``:emoji:`` codes) on one line, with control and bidirectional formatting characters
    replaced by U+FFFD (:func:`assess.report.text.log_line`). Every line that may hold text assess
    did not write (the target's, a config's, a run folder's, a stage's reason, a path) goes through
    it: ``[/oops]`` would raise MarkupError, and ESC or a line break would drive the terminal or
    forge a line (a ``::error::`` workflow command) in a CI log."""
    return Text.assemble(*((log_line(p), "") if isinstance(p, str) else (log_line(p[0]), p[1]) for p in parts))


def resolve_target(given: str | None) -> Path:
    target = Path(given).expanduser() if given else sample_target()
    if not given and not target.is_dir():
        raise UsageError("the bundled sample ships only with a source checkout of assess; give a TARGET folder")
    if not target.exists():
        raise UsageError(f"target {str(target)!r} does not exist")
    if not target.is_dir():
        raise UsageError(f"target {str(target)!r} is a file; give the repository's folder")
    return target


def check_out(out: Path, target: Path) -> None:
    """Refuse an ``--out`` that reaches through a symlink inside the target (``target``: resolved): the target's
    own ``runs -> elsewhere`` link would receive the run folder. An ``--out`` inside the target is allowed; the
    run's folders there are left out of the listing and of the search for the tests' writes."""
    lexical = Path(os.path.abspath(out.expanduser()))  # noqa: PTH100 (lexical: keeps the links to be looked at)
    try:
        parts = lexical.relative_to(target).parts
    except ValueError:
        return
    folder = target
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            raise UsageError(
                f"--out {str(out)!r} goes through {folder.relative_to(target).as_posix()!r}, a symbolic link in the "
                "target: the run folder would be written wherever it points. Give an --out outside the target"
            )
        if not folder.exists():
            return


def resolve_interpreter(given: str | None) -> str | None:
    """``--python`` as an absolute path: stages run in other working directories. A bare name is
    looked up on PATH. Not ``resolve()``d: a virtualenv's python is a symlink, and following it would
    lose the virtualenv."""
    if given is None:
        return None
    if os.sep not in given and not given.startswith((".", "~")):
        found = shutil.which(given)
        if found is None:
            raise UsageError(f"--python {given!r} is not on PATH")
        return found
    path = os.path.abspath(Path(given).expanduser())  # noqa: PTH100 (lexical, keeps the symlink)
    if not Path(path).exists():
        raise UsageError(f"--python {given!r} does not exist")
    return path


def check_chaos_options(args: argparse.Namespace) -> None:
    from assess.chaos.runner import bundled_experiments

    if not 1 <= args.chaos_trials <= 20:
        raise UsageError("the number of chaos trials must be between 1 and 20")
    unknown = sorted(set(args.chaos_experiments) - set(bundled_experiments()))
    if unknown:
        raise UsageError(f"unknown chaos experiment(s) {', '.join(unknown)}; see 'assess chaos list'")
