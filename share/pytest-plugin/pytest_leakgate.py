"""leakgate's pytest plugin: registers leakgate's markers, so that a suite which uses them
keeps passing under `pytest --strict-markers` outside leakgate. It does nothing else: the
markers mean something only inside `leakgate run --pytest`.

    @pytest.mark.no_leak_check          leakgate does not gate this test
    @pytest.mark.leakgate(budget={"py_blocks": 2}, warmup=10, iterations=100, window=20)

Installed as a pytest11 entry point (pip install the wheel make install puts in
PREFIX/share/leakgate/), or named in an ini file's markers instead (see leakgate's README).
"""

MARKERS = (
    'no_leak_check: leakgate does not gate this test',
    "leakgate(budget=None, warmup=None, iterations=None, window=None): this test's own "
    'leakgate settings: budget a dict of counter names to allowed growth per iteration',
)


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line('markers', line)
