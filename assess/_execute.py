"""Execute one notebook with papermill; run as a subprocess by the pipeline.

``python -m assess._execute REQUEST.json`` where REQUEST.json holds ``input``, ``output``,
``parameters``, ``cwd`` and ``result`` (where to write ``{"ok": bool, "error": str | null}``).
A subprocess per notebook keeps a crashing kernel or a stuck cell from taking the run down.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


KERNEL_START = ["import sys as _sys; _sys.modules.setdefault('rfc3987_syntax', None); del _sys"]
"""Run in each kernel before the notebook (see ``main``)."""


def _first_line(text: str, limit: int = 500) -> str:
    line = next((ln for ln in str(text).splitlines() if ln.strip()), "")
    return line[:limit]


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    # The kernel spec runs "python": make that our interpreter even when the venv is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # jsonschema (through nbformat, which papermill and plotly's renderers import) imports rfc3987_syntax when
    # it is installed (jupyterlab brings it), and that builds a parser for IRIs at import: 0.8 s here and
    # 1 to 2 s in the kernel at the first chart. Neither has an IRI to check; the kernel gets the same line
    # at its start (only the kernels assess starts: a user's own kernels are left alone).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill
    from papermill.exceptions import PapermillExecutionError

    error = None
    try:
        papermill.execute_notebook(
            request["input"],
            request["output"],
            parameters=request["parameters"],
            cwd=request["cwd"],
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            extra_arguments=[f"--IPKernelApp.exec_lines={KERNEL_START!r}"],
        )
    except PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {_first_line(err.evalue)}"
    except Exception as err:  # kernel died, notebook unreadable ...: reported, not raised
        error = f"{type(err).__name__}: {_first_line(str(err))}"
    Path(request["result"]).write_text(json.dumps({"ok": error is None, "error": error}), encoding="utf-8")
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
