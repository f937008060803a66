"""peers_suite_plugin.py: a pytest plugin of bench/suite.py's (`-p peers_suite_plugin`):
puts pytest-memray's limit_leaks marker on every collected test, with the rule of
bench/peers.py's corpus driver for the one call each test makes (16 B), as a maintainer would decorate each test, so that the
suite itself stays as it is. filter_fn keeps only stacks through the suite's own files
(tests/pytest_project), the documented use of filter_fn: suppress pytest's own."""

import os

import pytest

from peers import location_limit


def pytest_collection_modifyitems(session, config, items):
    root = str(config.rootpath)

    def ours(stack):
        return any(frame.filename.startswith(root + os.sep) for frame in stack.frames)

    for item in items:
        item.add_marker(pytest.mark.limit_leaks(location_limit(1), filter_fn=ours))
