# The sample suite of `leakgate run --pytest` (tests/integration/test_pytest.c).
import pytest

_handlers = []


@pytest.fixture
def subscribed():
    """Leaks: registers a callback in a module-level registry on every use, never
    unregistering it (the pattern of an event bus or a signal handler table)."""
    def on_event(event):
        return event
    _handlers.append(on_event)
    return on_event


@pytest.fixture(scope="session")
def lookup_table():
    """Clean: built once for the whole session, then only read."""
    return {i: str(i) * 3 for i in range(500)}
