"""Export coverage.py data as its JSON report, reading the target's coverage configuration.

Run as ``python -I .../assess/collectors/_coverage_export.py REQUEST.json`` (by its path, so that
only coverage is imported) with the target as the current directory, so coverage.py finds the
target's own configuration exactly as it would for the target's developers (exclusions, omit
patterns, ``fail_under``). ``-I`` keeps the target's folder off ``sys.path``, so a target that has
its own ``coverage`` or ``assess`` package cannot shadow ours.

REQUEST.json: ``{"data_file": str | null, "json_out": str | null, "meta_out": str, "keep": [str]}``:
the report covers the measured files listed in ``keep`` (absolute paths), less what the target's
own configuration omits. With no data file, only the configuration is read (``meta_out``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import coverage


def _literal(path: str) -> str:
    """An omit pattern matching exactly ``path``: glob characters become ``?``."""
    return "".join("?" if c in "[]*?" else c for c in path)


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    cov = coverage.Coverage(data_file=request.get("data_file"))
    config = cov.config
    meta = {
        "coverage_version": coverage.__version__,
        "fail_under": config.fail_under or None,
        "config_files_read": [str(p) for p in config.config_files_read],
        "error": None,
    }
    if request.get("data_file") and request.get("json_out"):
        own_omit = list(config.report_omit or config.run_omit or [])
        keep = {os.path.realpath(p) for p in request["keep"]}
        try:
            data_file = Path(request["data_file"])
            if not data_file.exists():  # `parallel = true` in the target's config: one file per process
                cov.combine(data_paths=[str(data_file.parent)], keep=True)
                cov.save()
            cov.load()
            measured = cov.get_data().measured_files()
            others = [_literal(f) for f in sorted(measured) if os.path.realpath(f) not in keep]
            meta["omitted"] = len(others)
            if measured and len(others) == len(measured):
                meta["error"] = (
                    f"coverage.py measured {len(measured)} files but none of the target's source files: "
                    "the tests import the code from somewhere else (an installed copy?); install the target "
                    "in development mode (pip install -e) in the test environment"
                )
                Path(request["meta_out"]).write_text(json.dumps(meta), encoding="utf-8")
                return 0
            cov.json_report(outfile=request["json_out"], omit=own_omit + others)
        except coverage.exceptions.NoDataError as err:  # no file was measured at all
            meta["error"] = f"no data: {err}"
        except coverage.exceptions.CoverageException as err:
            meta["error"] = f"{type(err).__name__}: {err}"
    Path(request["meta_out"]).write_text(json.dumps(meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
