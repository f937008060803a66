# A suite that uses leakgate's markers (tests/integration/test_markers.c): under
# leakgate run --pytest each test's marker sets its budget, warm-up and iterations; under
# plain pytest --strict-markers it passes once the markers are registered (leakgate's
# plugin, or the ini line in the README).
import pytest

_kept = []


def test_leak_unmarked():
    _kept.append(object())  # +1 block, +16 bytes per call: a leak at the default budgets


# One object kept a call is one reference more a call too, which a debug build judges.
@pytest.mark.leakgate(budget={"py_blocks": 2, "py_bytes": 64, "refs": 2})
def test_leak_within_its_budget():
    _kept.append(object())  # the same growth, within this test's own budgets


@pytest.mark.leakgate(warmup=3, iterations=40, window=10)
def test_clean_short_warmup():
    [0] * 8


@pytest.mark.no_leak_check
def test_not_gated():
    _kept.append(object())


class TestMarkedClass:
    pytestmark = pytest.mark.leakgate(budget={"py_blocks": 2, "py_bytes": 64, "refs": 2})

    def test_inherits_the_class_marker(self):
        _kept.append(object())
