"""Notebooks are thin, committed without outputs, and run interactively as well as under the pipeline."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill
import pytest

from assess.model import RunParameters
from assess.model.io import read_evidence
from assess.paths import notebooks_dir
from assess.pipeline import plan

from .conftest import CALC_PROJECT

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_every_stage_has_a_notebook():
    names = {s.notebook for s in plan(RunParameters(target="."))}
    assert names == {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_thin(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0]["metadata"].get("tags", [])
    # Thin: no definitions, loops or branches; logic lives in the package.
    tree = ast.parse("\n".join("".join(c["source"]) for c in code))
    logic = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.Try, ast.Lambda)
    assert not [type(n).__name__ for n in ast.walk(tree) if isinstance(n, logic)]
    assert len(code) <= 4


@pytest.mark.slow
def test_inventory_notebook_runs_on_its_own(make_repo, tmp_path: Path):
    repo = make_repo(CALC_PROJECT)
    out = tmp_path / "out.ipynb"
    run_dir = tmp_path / "interactive"
    papermill.execute_notebook(
        str(notebooks_dir() / "inventory.ipynb"),
        str(out),
        parameters={"target": str(repo), "run_dir": str(run_dir)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    evidence = read_evidence(run_dir / "evidence" / "inventory.json")
    assert evidence.data.test_definitions == 3
    outputs = [o for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", [])]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs), "no plotly chart shown"
