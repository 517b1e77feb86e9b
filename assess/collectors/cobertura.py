"""Cobertura XML (Java's tools, istanbul, gcovr, coverage.py's XML report), read a piece at a time.

Classes are gathered by file name and resolved against the report's ``<source>`` folders at the end;
branches are known only by count per line (``condition-coverage``), with coverage.py's missed
destinations where it writes them. Anything unreadable raises :class:`CoverageReportError`.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from assess._xml import ParseError, XmlRefused, refused, walk_xml
from assess.collectors import coverage_hits
from assess.collectors.coverage_hits import CoverageReportError, Hits, Report, counted, file_coverage, first_line
from assess.collectors.coverage_json import relative_path
from assess.model.coverage import ReportSource

MAX_BRANCHES_PER_LINE = 10_000
"""Cobertura's ``condition-coverage`` claims above this are refused rather than expanded."""
_CONDITION = re.compile(r"\((\d+)/(\d+)\)")


def resolve_cobertura(filename: str, sources: list[str], target: Path) -> str | None:
    """The file's path relative to the target, trying each ``<source>``; None if outside."""
    if Path(filename).is_absolute():
        return relative_path(filename, target)
    joined = [Path(s) / filename for s in sources]
    candidates = [p if p.is_absolute() else target / p for p in joined] + [target / filename]
    for candidate in candidates:
        try:
            found = candidate.is_file()
        except (OSError, ValueError):  # a name too long for the file system, or with a NUL
            found = False
        if found:
            return relative_path(str(candidate), target)
    # Nothing on disk (a report from another machine): the name is taken as relative to the target.
    rel = posixpath.normpath(Path(filename).as_posix())
    return None if rel == ".." or rel.startswith("../") else rel


def cobertura_line(line: Element, hits: Hits, report: Path) -> None:
    try:
        number = int(line.attrib["number"])
        count = float(line.attrib.get("hits", "0"))
        if not math.isfinite(count):
            raise ValueError(f"hits={line.attrib['hits'][:40]!r}")
    except (KeyError, ValueError) as err:
        raise CoverageReportError(f"{report}: <line> without a valid number and hits ({first_line(err)})") from err
    hits.cover(number, count >= 1)
    match = _CONDITION.search(line.attrib.get("condition-coverage", ""))
    if line.attrib.get("branch") == "true" and match:
        covered, total = int(match.group(1)), int(match.group(2))
        if total > MAX_BRANCHES_PER_LINE:
            raise CoverageReportError(f"{report}: line {number} claims {total} branches (over {MAX_BRANCHES_PER_LINE})")
        hits.add_branches(number, counted(total, min(covered, total)))
        # coverage.py adds the destinations it missed; other tools do not
        for dest in filter(None, line.attrib.get("missing-branches", "").split(",")):
            if dest.strip().lstrip("-").isdigit():
                hits.missing_branches.add((number, int(dest)))


@dataclass
class _CoberturaScan:
    """What one pass over a Cobertura file finds.

    Classes are resolved to files only at the end, since a ``<source>`` may come after them, so
    their lines are gathered by file name as they come (classes of one file merge: a line covered
    in any is covered). A class's problem, no file name or a bad line, is raised at the end if the
    class counts, the first in the order the classes start (``root.iter``), as when the tree was
    walked: so each name keeps its first class's problem, and a class without a name ends the look.
    """

    path: Path
    root: str | None = None
    packages: bool = False
    """Whether the root has a ``<packages>`` child."""
    sources: list[str | None] = field(default_factory=list)
    """Their text, in document order."""
    by_name: dict[str, Hits] = field(default_factory=dict)
    problems: dict[str | None, tuple[int, CoverageReportError]] = field(default_factory=dict)
    """File name (None: no name) -> (the number of the first class with a problem, its error)."""
    classes: int = 0
    open_sources: list[int] = field(default_factory=list)
    open_classes: list[tuple[str | None, int]] = field(default_factory=list)
    """Each open class's file name, None when its lines are not read (no name, or a bad line); its number."""

    def start(self, element: Element, parents: list[Element]) -> None:
        tag = element.tag
        if self.root is None:
            self.root = tag
        if self.root != "coverage":
            return  # not Cobertura: parsed to the end only so that malformed XML is said first
        if tag == "packages" and len(parents) == 1:
            self.packages = True
        elif tag == "source":
            self.open_sources.append(len(self.sources))
            self.sources.append(None)
        elif tag == "class":
            self.classes += 1
            self.open_classes.append((self._class(element.attrib.get("filename")), self.classes))
        elif tag == "line" and len(parents) > 1 and parents[-1].tag == "lines" and parents[-2].tag == "class":
            self._line(element)

    def _class(self, name: str | None) -> str | None:
        """The name whose hits the class's lines go to, None for none."""
        if None in self.problems:
            return None  # a class without a file name started before: nothing starting after it counts
        if not name:
            self.problems[None] = (self.classes, CoverageReportError(f"{self.path}: <class> without a filename"))
            return None
        if name not in self.by_name:
            if len(self.by_name) >= coverage_hits.MAX_COVERAGE_ENTRIES:
                raise CoverageReportError(
                    f"{self.path}: more than {coverage_hits.MAX_COVERAGE_ENTRIES} files; not read further"
                )
            self.by_name[name] = Hits()
        return name

    def _line(self, element: Element) -> None:
        name, number = self.open_classes[-1]
        if name is None:
            return
        try:
            cobertura_line(element, self.by_name[name], self.path)
        except CoverageReportError as err:
            self.open_classes[-1] = (None, number)
            if number < self.problems.get(name, (number + 1, err))[0]:
                self.problems[name] = (number, err)

    def end(self, element: Element) -> None:
        if self.root != "coverage":
            return
        if element.tag == "source":
            self.sources[self.open_sources.pop()] = element.text
        elif element.tag == "class":
            self.open_classes.pop()


def _scan_cobertura(path: Path) -> _CoberturaScan:
    """Raises CoverageReportError for malformed or refused XML, an unreadable file, or too many files."""
    scan = _CoberturaScan(path)
    try:
        for event, element, parents in walk_xml(path, lambda element, parent: False):
            if event == "start":
                scan.start(element, parents)
            else:
                scan.end(element)
    except XmlRefused as err:
        raise CoverageReportError(f"{path}: {refused(err)}") from err
    except ParseError as err:
        raise CoverageReportError(f"{path}: not well-formed XML ({err})") from err
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err
    return scan


def read_cobertura(
    path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool
) -> Report:
    scan = _scan_cobertura(path)
    if scan.root != "coverage" or not scan.packages:
        raise CoverageReportError(f"{path}: XML but not a Cobertura report (root element <{scan.root}>)")
    sources = [text.strip() for text in scan.sources if text and text.strip()]
    rels = {name: resolve_cobertura(name, sources, target) for name in scan.by_name}
    for name, (_, error) in sorted(scan.problems.items(), key=lambda item: item[1][0]):
        if name is None or ((rel := rels[name]) is not None and keep(rel)):
            raise error
    by_file: dict[str, Hits] = {}
    report = Report(source, branch=False)
    for name, hits in scan.by_name.items():
        rel = rels[name]
        if rel is None or not keep(rel):
            report.dropped.add(rel or name)
        elif rel in by_file:
            by_file[rel].merge(hits)  # names of one file (a.py, ./a.py): a line covered in any is covered
        else:
            by_file[rel] = hits
    scan.by_name.clear()
    report.branch = any(h.branches for h in by_file.values())
    for rel in list(by_file):  # each file's hits go once its coverage is made, unless they are to be merged
        hits = by_file.pop(rel)
        report.files[rel] = (file_coverage(rel, hits, report.branch), hits if merging else None)
    return report
