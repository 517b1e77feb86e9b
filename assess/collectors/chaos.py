"""Chaos collector: fault-injection results found in the target, given explicitly, or made here.

Reads Chaos Toolkit journals, JUnit XML of chaos suites and the native JSON format
(``assess/chaos/native.schema.json``). A file that cannot be read becomes an
:class:`UnreadableResult` and the collection goes on. When the target declares its service
(``[tool.assess.chaos]``, see :mod:`assess.chaos.service`), the bundled experiments run against it
first (:mod:`assess.chaos.runner`) and their journals are read like any others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assess._files import FileTooLarge, read_beneath, read_bounded
from assess._sandbox import Limits
from assess.chaos import load_criteria
from assess.chaos.ingest import (
    MAX_BYTES,
    ChaosReportError,
    FamilyMapping,
    decodable,
    parse_journal,
    parse_junit_chaos,
    parse_native,
)
from assess.chaos.runner import Sandbox, run_chaos
from assess.chaos.service import ChaosConfigError, load_criteria_overrides, load_service_spec
from assess.collectors import CollectContext, register_collector
from assess.collectors.listing import list_files
from assess.collectors.testrun import find_interpreter
from assess.model import Status
from assess.model.chaos import (
    ChaosData,
    ChaosEvidence,
    ChaosResult,
    ScenarioFamily,
    SuccessCriteria,
    UnreadableResult,
)

DEFAULT_GLOBS = ("**/journal*.json", "**/chaos/**/*.json", "**/chaos-results/**/*.xml", "**/*chaos*.xml")
"""Where chaos results are looked for in the target; ``**/`` also matches no folder at all."""
SKIPPED_DIRS = frozenset({"node_modules"})
"""Never searched, even when committed (the listing already leaves out .git and virtualenvs)."""
NATIVE_KEYS = frozenset({"scenario", "trials", "successes"})


def glob_regex(glob: str) -> re.Pattern[str]:
    """``**/`` matches any folders (or none), ``*`` and ``?`` stay within one path segment."""
    out = []
    for token in re.split(r"(\*\*/|\*|\?)", glob):
        out.append({"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token)))
    return re.compile("".join(out) + r"\Z")


def discover(target: Path, globs: Sequence[str] = DEFAULT_GLOBS, leave_out: Sequence[str] = ()) -> list[str]:
    """Relative paths of the target's files matching any glob, sorted (assess's own run folders left out)."""
    patterns = [glob_regex(g) for g in globs]
    return [
        rel
        for rel in list_files(target, leave_out).paths
        if not SKIPPED_DIRS.intersection(rel.split("/")[:-1]) and any(p.match(rel) for p in patterns)
    ]


def _sniff_json(text: str) -> str | None:
    """``journal``, ``native`` or None (some other JSON); malformed JSON goes to the native parser."""
    if not decodable(text):
        return "native"  # too large to decode even to look: the parser refuses it, saying so
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return "native"  # let the parser report the line
    if not isinstance(document, dict):
        return None
    if "experiment" in document and ("run" in document or "steady_states" in document):
        return "journal"
    return "native" if NATIVE_KEYS & document.keys() else None


def _sniff(name: str, text: str) -> str | None:
    if name.endswith(".xml") or text.lstrip().startswith("<"):
        return "junit" if re.search(r"<testsuites?\b", text[:4096]) or not text.strip() else None
    return _sniff_json(text)


def read_results(source: str, text: str, mapping: FamilyMapping | None, *, explicit: bool) -> list[ChaosResult]:
    """Results of one file; [] for a found file that is not a chaos result.

    Raises ChaosReportError for a malformed file, or for an explicit one in no known format.
    """
    kind = _sniff(source, text)
    if kind == "journal":
        return [parse_journal(source, text, mapping)]
    if kind == "native":
        return [parse_native(source, text, mapping)]
    if kind == "junit" or (explicit and source.endswith(".xml")):
        return parse_junit_chaos(source, text, mapping)
    if explicit:
        raise ChaosReportError(f"{source}: not a Chaos Toolkit journal, native chaos result or JUnit XML")
    return []


def _display(target: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(target.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read_text(path: Path, source: str, *, beneath: Path | None = None) -> str:
    """The text of a chaos result: a file the user named (``path``), or with ``beneath``, the target's own
    regular file ``source`` inside that folder (never through a symlink). Raises ChaosReportError."""
    try:
        data = read_beneath(beneath, source, MAX_BYTES) if beneath else read_bounded(path, MAX_BYTES)
        return data.decode("utf-8")
    except FileTooLarge:
        raise ChaosReportError(f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not read") from None
    except OSError as err:
        raise ChaosReportError(f"{source}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ChaosReportError(f"{source}: not UTF-8 text") from None


def collect_chaos_paths(
    target: Path,
    paths: Sequence[str | Path] = (),
    *,
    globs: Sequence[str] = DEFAULT_GLOBS,
    mapping: FamilyMapping | None = None,
    leave_out: Sequence[str] = (),
) -> ChaosData:
    """Chaos results from the target's files matching ``globs`` (not in the folders ``leave_out``: assess's own
    run folders) plus explicit ``paths``.

    Relative explicit paths are taken from the target. Unreadable files are listed, not raised.
    """
    explicit = [Path(p) if Path(p).is_absolute() else target / p for p in paths]
    found = [(target / rel, False) for rel in discover(target, globs, leave_out)] if globs else []
    seen: set[Path] = set()
    results: list[ChaosResult] = []
    unreadable: list[UnreadableResult] = []
    for path, is_explicit in [*[(p, True) for p in explicit], *found]:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        source = _display(target, path)
        try:
            text = _read_text(path, source, beneath=None if is_explicit else target)
            results.extend(read_results(source, text, mapping, explicit=is_explicit))
        except ChaosReportError as err:
            unreadable.append(UnreadableResult(path=source, message=str(err)))
    searched = (*globs, *(str(p) for p in paths))
    return ChaosData(results=tuple(results), unreadable=tuple(unreadable), searched=searched)


def _tool_versions() -> dict[str, str]:
    versions = {}
    for name in ("chaostoolkit", "chaostoolkit-lib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass(frozen=True)
class OwnRun:
    """What running the bundled experiments gave: results, problems, and why it did not run."""

    results: tuple[ChaosResult, ...] = ()
    unreadable: tuple[UnreadableResult, ...] = ()
    error: str | None = None
    """The config is wrong or the service would not start: the user asked for chaos and got none."""
    note: str | None = None
    """Why nothing ran when that is expected (no service declared, --no-chaos, --no-tests)."""
    warnings: tuple[str, ...] = ()


def run_own_experiments(ctx: CollectContext, progress: Callable[[str], None] | None = None) -> OwnRun:
    """Run the bundled experiments against the target's declared service; journals go to ``raw/chaos``."""
    params = ctx.params
    if params.no_tests or not params.chaos:
        flag = "--no-tests" if params.no_tests else "--no-chaos"
        return OwnRun(note=f"the bundled experiments were not run ({flag})")
    try:
        spec = load_service_spec(ctx.target)
    except ChaosConfigError as err:
        return OwnRun(error=f"chaos config: {err}")
    if spec is None:
        return OwnRun(note="the target declares no service to run experiments against ([tool.assess.chaos])")
    python = str(find_interpreter(ctx.target, params.python)[0])
    try:
        run = run_chaos(
            ctx.target, spec, ctx.work_dir("chaos"), python=python, trials=params.chaos_trials,
            only=params.chaos_experiments, progress=progress,
            sandbox=Sandbox(Limits(params.memory_limit, params.file_size_limit), params.pass_env),
        )  # fmt: skip
    except ValueError as err:
        return OwnRun(error=str(err))
    if run.error:
        return OwnRun(error=f"the bundled experiments could not run: {run.error}")
    results: list[ChaosResult] = []
    unreadable: list[UnreadableResult] = []
    for one in run.runs:
        source = f"raw/chaos/{one.name}-{one.trial}/journal.json"
        if one.journal is None:
            unreadable.append(UnreadableResult(path=source, message=f"{one.name}: {one.message}"))
            continue
        try:
            result = parse_journal(source, _read_text(one.journal, source, beneath=ctx.run_dir))
        except ChaosReportError as err:
            unreadable.append(UnreadableResult(path=source, message=str(err)))
            continue
        note = f"{one.message}" if one.message else None
        results.append(result.model_copy(update={"origin": "run", "notes": note}))
    return OwnRun(results=tuple(results), unreadable=tuple(unreadable), warnings=run.skipped)


def criteria_for(target: Path) -> tuple[dict[ScenarioFamily, SuccessCriteria], str | None]:
    """The criteria in force for ``target`` and, when its overrides are wrong, why (then the defaults)."""
    try:
        overrides = load_criteria_overrides(target)
        if overrides is None:
            return load_criteria(), None
        return load_criteria(overrides[0], where=overrides[1]), None
    except (ChaosConfigError, ValueError) as err:
        return load_criteria(), f"chaos criteria: {err}; the package's defaults apply"


@register_collector("chaos", title="Chaos")
def collect_chaos(ctx: CollectContext) -> ChaosEvidence:
    """The bundled experiments' results (when the target declares its service), results found in the
    target by :data:`DEFAULT_GLOBS`, and ``--chaos-result`` files; skipped if there are none."""
    own = run_own_experiments(ctx)
    found = collect_chaos_paths(ctx.target, ctx.params.chaos_results, leave_out=ctx.leave_out)
    criteria, criteria_error = criteria_for(ctx.target)
    data = ChaosData(
        results=(*own.results, *found.results),
        unreadable=(*own.unreadable, *found.unreadable),
        searched=found.searched,
        criteria=tuple(criteria.values()),
    )
    warnings = (*own.warnings, *(u.message for u in data.unreadable))
    error = "; ".join(e for e in (own.error, criteria_error) if e)
    if error:
        return ChaosEvidence(
            status=Status.ERROR, reason=error, data=data, warnings=warnings, tool_versions=_tool_versions()
        )
    if data.results:
        return ChaosEvidence(status=Status.OK, data=data, warnings=warnings, tool_versions=_tool_versions())
    unread = f"; {len(data.unreadable)} file(s) could not be read" if data.unreadable else ""
    why = f"; {own.note}" if own.note else ""
    return ChaosEvidence(
        status=Status.SKIPPED,
        reason=f"no chaos results found (searched: {', '.join(data.searched)}){unread}{why}",
        data=data,
        warnings=warnings,
        tool_versions=_tool_versions(),
    )
