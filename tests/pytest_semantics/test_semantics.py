# pytest's own run semantics, each test with the verdict plain pytest's calls for
# (read by tests/integration/test_pytest.c, like tests/pytest_project's):
# verdict: test_prints_stdout pass
# verdict: test_prints_stderr pass
# verdict: test_logs_warning pass
# verdict: test_caplog pass
# verdict: test_record_property pass
# verdict: test_applymarker pass
# verdict: test_pytester pass
# verdict: test_runpytest_in_process pass
# Under pytest 8 both once read as growing: CPython 3.8 to 3.10 give each code object a
# LOAD_GLOBAL cache on its 1024th run (pytest 8's many hook functions get theirs over a
# thousand runs), and glibc's per-thread cache kept the freed chunks of the in-process
# run's many sizes. The worker turns both off.
# On CPython 3.8 both pass at this suite's options (-w 10 --window 10) since the code
# caches are off. NEEDSWORK: there test_runpytest_in_process still reads as a LEAK at the
# defaults, its floor rising by a few blocks over 300 runs (+0.03/iter), not yet explained
# (3.8's posix_putenv_garbage, once blamed, is keyed by name, so a new HOME replaces the
# old), so on 3.8 it is run, not judged.
# verdict-3.8: test_runpytest_in_process unjudged
# On CPython 3.12 interned strings are immortal, and pathlib interns every part of a path:
# pytest 8's cache plugin makes its directory under a new random name each in-process run
# (pytest-cache-files-XXXXXXXX), so each run keeps one string for the process's life: a
# real growth of that process (3.11 and 3.13 free them).
# verdict-3.12: test_runpytest_in_process leak
# verdict: test_cache_fixture pass
# verdict: test_warns_unfiltered pass
# verdict: test_capsys pass
# verdict: test_factory_closed_per_client leak
# verdict: test_mark_filterwarnings_error error
# verdict: test_ini_filterwarnings_error error
# verdict: test_command_line_w_error error
# verdict: test_module_teardown_fails error
# verdict: test_semantics.doctest_clean pass
# verdict: test_semantics.doctest_appends leak
# verdict: test_broken_collection.py error
import logging
import sys
import warnings

import pytest

_log = logging.getLogger("semantics")
_kept = []


def test_prints_stdout():
    print("hello from the test")


def test_prints_stderr():
    sys.stderr.write("a line on stderr\n")


def test_logs_warning():
    _log.warning("something to look at")


def test_caplog(caplog):
    _log.error("counted")
    assert caplog.records[-1].getMessage() == "counted"


def test_record_property(record_property):
    record_property("example_key", 1)


def test_applymarker(request):
    request.applymarker(pytest.mark.slow)
    request.applymarker(pytest.mark.custom_marker_for_this_run)


def test_pytester(pytester):
    pytester.makepyfile("def test_inner():\n    assert True\n")
    pytester.syspathinsert()
    assert pytester.path.joinpath("test_pytester.py").exists()


def test_runpytest_in_process(pytester):
    pytester.makepyfile("def test_inner():\n    assert True\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_cache_fixture(cache):
    cache.set("semantics/value", [1, 2, 3])
    assert cache.get("semantics/value", None) == [1, 2, 3]


def test_warns_unfiltered():
    warnings.warn("merely deprecated", DeprecationWarning)


def test_capsys(capsys):
    print("captured")
    assert capsys.readouterr().out == "captured\n"


def test_factory_closed_per_client(make_client):
    assert make_client().buffer is not None


@pytest.mark.filterwarnings("error")
def test_mark_filterwarnings_error():
    warnings.warn("this mark makes it an error", DeprecationWarning)


def test_ini_filterwarnings_error():
    warnings.warn("pytest.ini makes it an error", UserWarning)


def test_command_line_w_error():
    warnings.warn("-W makes it an error", RuntimeWarning)


def test_module_teardown_fails(broken_teardown):
    assert broken_teardown == 42


def doctest_clean():
    """A doctest that keeps nothing.

    >>> total = sum(range(10))
    >>> total
    45
    """


def doctest_appends():
    """A doctest that adds to a module-level list each time it runs.

    >>> _kept.append(object())
    >>> len(_kept) > 0
    True
    """
