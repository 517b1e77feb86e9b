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


def _first_line(text: str, limit: int = 500) -> str:
    line = next((ln for ln in str(text).splitlines() if ln.strip()), "")
    return line[:limit]


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    # The kernel spec runs "python": make that our interpreter even when the venv is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # jsonschema (through nbformat) imports rfc3987_syntax when it is installed (jupyterlab brings it), which
    # builds a parser for IRIs at import: 0.8 s of every notebook's start. Notebooks have no IRI to check.
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
        )
    except PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {_first_line(err.evalue)}"
    except Exception as err:  # kernel died, notebook unreadable ...: reported, not raised
        error = f"{type(err).__name__}: {_first_line(str(err))}"
    Path(request["result"]).write_text(json.dumps({"ok": error is None, "error": error}), encoding="utf-8")
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
