"""What the notebooks call: build a context from the parameters cell, collect, assess.

Notebooks stay thin: a ``parameters`` cell, a call here, then :mod:`assess.display`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assess.assessment import write_outputs
from assess.collectors import CollectContext, run_collector
from assess.model import Assessment, Evidence, RunParameters
from assess.paths import sample_target
from assess.pipeline import Pipeline, new_run_dir


def context(target: str = "", run_dir: str = "", options: dict[str, Any] | None = None) -> CollectContext:
    """A collect context from notebook parameters.

    ``target`` "" means the bundled sample; ``run_dir`` "" makes a new run folder under ``runs/``
    in the current directory; ``options`` are :class:`RunParameters` fields (``timeout_s``, ``python`` ...).
    """
    path = Path(target).expanduser().resolve() if target else sample_target()
    if not path.is_dir():
        raise NotADirectoryError(f"target {path} is not a folder")
    params = RunParameters(target=str(path), **(options or {}))
    folder = Path(run_dir) if run_dir else new_run_dir(Path("runs"), path)
    folder.mkdir(parents=True, exist_ok=True)
    return CollectContext(params=params, run_dir=folder.resolve())


def collect(kind: str, ctx: CollectContext) -> Evidence:
    """Run one collector and write its evidence into the run folder."""
    return run_collector(kind, ctx)


def assess(ctx: CollectContext) -> Assessment:
    """Build ``assessment.json`` and ``assessment.html`` from the evidence in the run folder.

    In a run folder made by hand in a notebook there is no ``run.json`` yet; one is written.
    """
    run_json = ctx.run_dir / "run.json"
    if not run_json.exists():
        Pipeline(ctx.params, ctx.run_dir).write_info()  # run info only; stages ran interactively
    return write_outputs(ctx.run_dir)
