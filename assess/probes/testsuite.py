"""Tests as evidence: integration and performance suites, and the quality of individual tests.

Only files whose role is test or test support count for test-quality claims; performance and load
scripts (locustfiles, k6 scripts, asv configurations) count wherever they live.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from assess.model import Role
from assess.model.patterns import Site
from assess.patterns.testsuite import (
    FakeClockSite,
    IntegrationSuiteSite,
    ParametrizedTestSite,
    PerformanceSuiteSite,
    SkippedTestSite,
    TestFunctionSite,
    TestRepoSite,
    TestSleepSite,
)
from assess.patterns.testsuite_repo import CiTestsSite, CoverageGateSite
from assess.probes import Hit, ProbeInput, register_probe
from assess.project.sources import other_packages

TEST_ROLES = {Role.TEST, Role.TEST_SUPPORT}


S = TypeVar("S", bound=Site)


def _in_tests(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    """Sites in the project's own test files: not those of another project in the tree (a port to another
    language in ``python/``), which is judged apart."""
    others = tuple(f"{folder}/" for folder in other_packages({f.path: f.role for f in given.patterns.files}))
    return (s for s in sites if given.patterns.role_of(s.path) in TEST_ROLES and not s.path.startswith(others))


@register_probe("tests.integration-suite")
def integration_suite(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(IntegrationSuiteSite):
        yield Hit("tests.integration-suite", site=site, details={"evidence": site.evidence})


@register_probe("tests.performance-suite", "tests.no-performance-tests")
def performance_suite(given: ProbeInput) -> Iterator[Hit]:
    suites = given.patterns.of(PerformanceSuiteSite)
    for site in suites:
        yield Hit("tests.performance-suite", site=site, details={"tool": site.tool})
    repo = next(iter(given.patterns.of(TestRepoSite)), None)
    if not suites and repo is not None and repo.manifest and repo.test_files:
        yield Hit("tests.no-performance-tests", details={"test_files": repo.test_files})


@register_probe("tests.no-assertion")
def no_assertion(given: ProbeInput) -> Iterator[Hit]:
    """Tests that check nothing; not those whose name says their point is that nothing raises."""
    for site in _in_tests(given, given.patterns.of(TestFunctionSite)):
        if not site.asserts and not site.skipped and not site.nothing_raises:
            yield Hit("tests.no-assertion", site=site, details={"name": site.name})


@register_probe("tests.sleep-in-test")
def sleep_in_test(given: ProbeInput) -> Iterator[Hit]:
    """Sleeps in the test's own flow (a wait on the real clock); not those in code handed to the code under test,
    where they simulate slow work."""
    for site in _in_tests(given, given.patterns.of(TestSleepSite)):
        if site.context != "workload":
            yield Hit("tests.sleep-in-test", site=site,
                      details={"callee": site.callee, "seconds": f"{site.seconds:g}"})  # fmt: skip


@register_probe("tests.coverage-gate")
def coverage_gate(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(CoverageGateSite):
        at = f" at {site.threshold:g}%" if site.threshold is not None else ""
        yield Hit("tests.coverage-gate", site=site, details={"tool": site.tool, "threshold": at})


MIN_SOURCE_FILES = 8
MIN_SOURCE_LINES = 1000
"""A tree smaller than both (a sample app, a snippet) is not judged for having no tests: it says little there."""


def _production_sources(given: ProbeInput) -> tuple[int, int | None]:
    """How many production source files, and their lines of code when the inventory says."""
    paths = {f.path for f in given.patterns.files if f.role is Role.SOURCE and given.production(f.path)}
    if given.inventory is None:
        return len(paths), None
    return len(paths), sum(f.sloc or 0 for f in given.inventory.files if f.path in paths)


@register_probe("tests.no-test-suite")
def no_test_suite(given: ProbeInput) -> Iterator[Hit]:
    """A project (it has a manifest) with production code and no test file, no test folder and no declared test
    command."""
    repo = next(iter(given.patterns.of(TestRepoSite)), None)
    if repo is None or not repo.manifest or repo.test_files or repo.support_files or repo.test_command:
        return
    sources, lines = _production_sources(given)
    if sources < MIN_SOURCE_FILES and (lines or 0) < MIN_SOURCE_LINES:
        return
    sdist = given.project is not None and any("source distribution" in n for n in given.project.not_in_tree)
    yield Hit("tests.no-test-suite", details={"sources": sources},
              confidence="likely" if sdist else None,
              confidence_reason="This is a source distribution, which may leave the tests out." if sdist else None)


@register_probe("tests.ci-without-tests")
def ci_without_tests(given: ProbeInput) -> Iterator[Hit]:
    """CI pipelines exist, the project has tests, and no pipeline runs them (to review when a pipeline calls what
    the tree does not hold)."""
    pipelines = list(given.patterns.of(CiTestsSite))
    repo = next(iter(given.patterns.of(TestRepoSite)), None)
    has_tests = repo is not None and bool(repo.test_files or repo.support_files or repo.test_command)
    if not pipelines or not has_tests or any(p.runs_tests for p in pipelines):
        return
    at = next((p for p in pipelines if p.publishes), pipelines[0])
    unseen = [u for p in pipelines for u in p.unseen]
    then = (f"{at.path} publishes without them, so a commit whose tests fail can still be released" if at.publishes
            else "a commit whose tests fail still passes CI")  # fmt: skip
    yield Hit("tests.ci-without-tests", site=at, details={"count": len(pipelines), "then": then},
              confidence="likely" if unseen else None,
              confidence_reason=f"The pipelines call {', '.join(unseen[:3])}, which this tree does not hold; they "
              "may run the tests." if unseen else None)  # fmt: skip


@register_probe("tests.parametrized")
def parametrized(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_tests(given, given.patterns.of(ParametrizedTestSite)):
        yield Hit("tests.parametrized", site=site, details={"mechanism": site.mechanism})


@register_probe("tests.fake-clock")
def fake_clock(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_tests(given, given.patterns.of(FakeClockSite)):
        yield Hit("tests.fake-clock", site=site, details={"mechanism": site.mechanism})


@register_probe("tests.skipped-tests")
def skipped_tests(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_tests(given, given.patterns.of(SkippedTestSite)):
        yield Hit("tests.skipped-tests", site=site, details={"mechanism": site.mechanism})
