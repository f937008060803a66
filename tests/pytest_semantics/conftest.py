# A conftest that keeps one record per test report, as a timing plugin would: the growth
# is the plugin's, so no test of this project may be blamed for it.
import pytest

pytest_plugins = ["pytester"]

durations = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    durations.append((report.nodeid, report.duration))


class Client:
    """Stands for a network client: a buffer, and close() to release it."""

    def __init__(self):
        self.buffer = bytearray(256)

    def close(self):
        self.buffer = None


@pytest.fixture(scope="module")
def make_client(request):
    """A module-scoped factory that closes each client it makes when the module ends:
    every call keeps a client (and its finalizer) until then."""
    def make():
        client = Client()
        request.addfinalizer(client.close)
        return client
    return make


@pytest.fixture(scope="module")
def broken_teardown():
    yield 42
    raise RuntimeError("the module's connection did not close")
