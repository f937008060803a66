# expect lines: "# verdict: NODE-SUFFIX VERDICT" are read by tests/integration/test_pytest.c
# verdict: test_fixture_registers_callback leak
# verdict: test_module_list_grows leak
# verdict: test_extension_refcount leak
# verdict: test_session_cache pass
# verdict: test_parametrised[ pass
# verdict: test_assertion_fails error
# verdict: test_skipped skip
# verdict: test_expected_failure skip
# verdict: test_marked_no_leak_check skip
import pytest

import _lgtest

_seen = []


def test_fixture_registers_callback(subscribed):
    assert subscribed("ping") == "ping"


def test_module_list_grows():
    _seen.append({"request": len(_seen)})
    assert _seen


def test_extension_refcount():
    _lgtest.leak_float()


def test_session_cache(lookup_table):
    assert lookup_table[42] == "424242"


@pytest.mark.parametrize("n", range(20))
def test_parametrised(n):
    assert sorted(range(n, 0, -1)) == list(range(1, n + 1))


def test_assertion_fails():
    assert 1 + 1 == 3


@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    _seen.append(1)


@pytest.mark.xfail(reason="known bug", strict=True)
def test_expected_failure():
    assert False


@pytest.mark.no_leak_check
def test_marked_no_leak_check():
    _seen.append(2)
