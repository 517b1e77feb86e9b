"""Execute notebooks with papermill; run as a subprocess by the pipeline.

``python -m assess._execute REQUEST.json`` executes one notebook; ``python -m assess._execute --serve``
executes the notebooks whose request files are named one per line on standard input, in order, in one
kernel kept between them (a kernel's start and assess's imports cost more than most collector notebooks
take; a kernel that dies is replaced). A request holds ``input``, ``output``, ``parameters``, ``cwd``, ``result``
(where to write ``{"ok": bool, "error": str | null}``, atomically, once the notebook is done) and
optionally ``partial``. papermill saves the executed notebook in place after every cell, so it writes to
``partial`` (by default ``<output stem>.partial.ipynb`` beside ``output``), and the notebook is moved to
``output`` in one step when it ends, failed or not (see :func:`keep_notebook`).
A subprocess keeps a crashing kernel or a stuck cell from taking the run down: the pipeline kills
its process group at the stage's time limit, and the kernel, which polls its parent, exits with it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

KERNEL_START = ["import sys as _sys; _sys.modules.setdefault('rfc3987_syntax', None); del _sys"]
"""Run in each kernel before the notebooks (see ``_prepare``)."""


def _first_line(text: str, limit: int = 500) -> str:
    line = next((ln for ln in str(text).splitlines() if ln.strip()), "")
    return line[:limit]


def _prepare() -> None:
    # The kernel spec runs "python": make that our interpreter even when the venv is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # jsonschema (through nbformat, which papermill and plotly's renderers import) imports rfc3987_syntax when
    # it is installed (jupyterlab brings it), and that builds a parser for IRIs at import: 0.8 s here and
    # 1 to 2 s in the kernel at the first chart. Neither has an IRI to check; the kernel gets the same line
    # at its start (only the kernels assess starts: a user's own kernels are left alone).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _kernel_arguments() -> list[str]:
    return [f"--IPKernelApp.exec_lines={KERNEL_START!r}"]


def keep_notebook(partial: Path, output: Path) -> bool:
    """Move ``partial`` to ``output`` in one step if it is a valid notebook; else remove it.

    Returns whether ``output`` now holds the notebook (False when ``partial`` is missing, cut off, not a
    valid notebook, or cannot be moved). A runner killed while papermill rewrote ``partial`` leaves it cut
    off; that is dropped, never shown. Both paths must be on one filesystem (both are in the run folder),
    so the move is atomic.
    """
    import nbformat
    from nbformat import reader

    try:
        text = partial.read_text(encoding="utf-8")
        nbformat.validate(reader.reads(text))  # type: ignore[no-untyped-call]
    except FileNotFoundError:
        return False
    except Exception:  # cut off, not UTF-8, not a notebook: nbformat and jsonschema raise several kinds
        partial.unlink(missing_ok=True)
        return False
    try:
        partial.replace(output)
    except OSError:
        return False
    return True


def _execute(request: dict[str, Any], km: Any = None) -> str | None:
    """Execute the request's notebook (in ``km``'s kernel when given) and keep it; None, or what went wrong."""
    output = Path(request["output"])
    partial = Path(request.get("partial") or output.with_name(f"{output.stem}.partial.ipynb"))
    error = _run_papermill(request, partial, km)
    keep_notebook(partial, output)
    return error


def _run_papermill(request: dict[str, Any], partial: Path, km: Any) -> str | None:
    """Execute the request's notebook into ``partial``; None, or what went wrong."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            request["input"],
            str(partial),
            parameters=request["parameters"],
            cwd=request["cwd"],
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            **({"km": km} if km is not None else {"extra_arguments": _kernel_arguments()}),
        )
    except PapermillExecutionError as err:
        return f"cell {err.exec_count}: {err.ename}: {_first_line(err.evalue)}"
    except Exception as err:  # kernel died, notebook unreadable ...: reported, not raised
        return f"{type(err).__name__}: {_first_line(str(err))}"
    return None


def _write_result(request: dict[str, Any], error: str | None) -> None:
    result = Path(request["result"])
    tmp = result.with_name(result.name + ".partial")
    tmp.write_text(json.dumps({"ok": error is None, "error": error}), encoding="utf-8")
    tmp.replace(result)  # the pipeline waits for this file to appear: it must appear whole


def main(request_path: str) -> int:
    _prepare()
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    error = _execute(request)
    _write_result(request, error)
    return 0 if error is None else 1


def _record_kernel(km: Any) -> Path | None:
    """Record the kernel's process group (jupyter_client starts it in a session of its own) beside the groups
    its collectors start, so that an interrupted run kills it too rather than let it write on for the moment it
    takes to see that this runner is gone; the record."""
    from assess._proc import record_group

    pgid = getattr(km.provisioner, "pgid", None)
    return record_group(pgid) if isinstance(pgid, int) and pgid > 0 else None


def serve() -> int:
    """Execute the requests named on standard input, one kernel for all of them, until stdin closes."""
    _prepare()
    from jupyter_client.manager import KernelManager

    km: KernelManager | None = None
    records: list[Path] = []
    try:
        for line in sys.stdin:
            request = json.loads(Path(line.strip()).read_text(encoding="utf-8"))
            if km is None or not km.is_alive():
                km = KernelManager(kernel_name="python3")
                try:
                    km.start_kernel(cwd=request["cwd"], extra_arguments=_kernel_arguments())
                    record = _record_kernel(km)
                    if record is not None:
                        records.append(record)
                except Exception as err:  # reported for this notebook; the next one tries again
                    _write_result(request, f"the kernel did not start: {type(err).__name__}: {_first_line(str(err))}")
                    km = None
                    continue
            _write_result(request, _execute(request, km))
    finally:
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)
        for record in records:  # every kernel this runner started has ended
            record.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main(sys.argv[1]))
