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
from assess.probes import Hit, ProbeInput, register_probe

TEST_ROLES = {Role.TEST, Role.TEST_SUPPORT}


S = TypeVar("S", bound=Site)


def _in_tests(given: ProbeInput, sites: Iterable[S]) -> Iterator[S]:
    return (s for s in sites if given.patterns.role_of(s.path) in TEST_ROLES)


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
    for site in _in_tests(given, given.patterns.of(TestFunctionSite)):
        if not site.asserts and not site.skipped:
            yield Hit("tests.no-assertion", site=site, details={"name": site.name})


@register_probe("tests.sleep-in-test")
def sleep_in_test(given: ProbeInput) -> Iterator[Hit]:
    for site in _in_tests(given, given.patterns.of(TestSleepSite)):
        yield Hit("tests.sleep-in-test", site=site, details={"callee": site.callee, "seconds": f"{site.seconds:g}"})


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
