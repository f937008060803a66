# worker/pytest_driver.py: leakgate's side of `leakgate run --pytest`, compiled into the
# worker. It runs pytest.main() with the user's arguments and a plugin of its own: collect() lists
# the tests as pytest would run them; run() keeps one test and hands the worker a step()
# that runs that test's whole protocol (function-scoped fixtures set up and torn down each
# time, wider ones once) from inside pytest's own test loop; serve_tests() collects once
# and forks a worker per test, each of which goes on as run() would.
import pytest
from _pytest.runner import runtestprotocol

MARK = 'no_leak_check'


class Outcome(Exception):
    """Why a test cannot be judged: kind is 'skip' or 'fail'; text says why."""

    def __init__(self, kind, text):
        Exception.__init__(self, text)
        self.kind = kind
        self.text = text


class _Base:
    def __init__(self):
        self.errors = []

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config):
        config.addinivalue_line('markers', '%s: leakgate does not gate this test' % MARK)
        # The worker reports; pytest's terminal output per iteration would only be noise.
        tr = config.pluginmanager.getplugin('terminalreporter')
        if tr is not None:
            config.pluginmanager.unregister(tr)

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append('%s\n%s' % (report.nodeid, report.longreprtext))

    def pytest_internalerror(self, excrepr):
        self.errors.append(str(excrepr))


class _Collector(_Base):
    def __init__(self):
        _Base.__init__(self)
        self.items = []

    def pytest_collection_finish(self, session):
        for item in session.items:
            skip = item.get_closest_marker(MARK) is not None
            self.items.append((item.nodeid, skip))

    def pytest_runtestloop(self, session):
        return True  # collection only


class _Sibling:
    """Stands in for "the next test" when a test runs again: it shares the test's parents
    but is not the test, so pytest tears down the function-scoped fixtures and keeps the
    wider ones."""

    def __init__(self, item):
        self._chain = item.listchain()[:-1]
        self.nodeid = item.nodeid
        self.name = item.name

    def listchain(self):
        return list(self._chain)


def _finalizer_lists(session):
    """The finalizer lists a test run appends to and that outlive it: those of the nodes
    above the test (the session, its module) and of every fixture definition. pytest
    expects each test to run once, so it registers a wider-scoped fixture's finalizer on
    every use; run a thousand times, that is a leak of pytest's making, not the test's."""
    lists = []
    for entry in getattr(getattr(session, '_setupstate', None), 'stack', {}).values():
        if isinstance(entry, tuple) and entry and isinstance(entry[0], list):
            lists.append(entry[0])
    arg2defs = getattr(getattr(session, '_fixturemanager', None), '_arg2fixturedefs', {})
    for defs in arg2defs.values():
        for d in defs:
            if isinstance(getattr(d, '_finalizers', None), list):
                lists.append(d._finalizers)
    return lists


class _Runner(_Base):
    def __init__(self, nodeid, serve):
        _Base.__init__(self)
        self.nodeid = nodeid
        self.serve = serve
        self.outcome = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, session, config, items):
        yield
        keep = [i for i in items if i.nodeid == self.nodeid]
        if keep and len(keep) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

    def _protocol(self, item):
        reports = runtestprotocol(item, log=False, nextitem=_Sibling(item))
        for r in reports:
            if hasattr(r, 'wasxfail'):
                raise Outcome('skip', 'xfail: %s' % (r.wasxfail or 'expected to fail'))
            if r.skipped:
                reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
                raise Outcome('skip', reason)
            if r.failed:
                raise Outcome('fail', 'the test failed (%s):\n%s' % (r.when, r.longreprtext))

    def pytest_runtestloop(self, session):
        if self.errors:
            return True
        if not session.items:
            self.errors.append('no test %s (deselected, or not collected with these '
                               'arguments)' % self.nodeid)
            return True
        item = session.items[0]
        if item.get_closest_marker(MARK) is not None:
            self.outcome = Outcome('skip', 'marked %s' % MARK)
            return True
        try:
            self._protocol(item)  # once before the worker's loop: skips and failures
        except Outcome as o:
            self.outcome = o
            return True
        # What the first run registered stays (one copy runs at the session's end); what
        # later runs add again is dropped.
        marks = [(lst, len(lst)) for lst in _finalizer_lists(session)]

        def step():
            try:
                self._protocol(item)
            finally:
                for lst, n in marks:
                    del lst[n:]

        self.serve(step)
        return True


class _Server(_Runner):
    """The fork server: collects every test once, then fork(items) forks a worker per
    test the supervisor asks for. In that worker fork() returns the test's node id and the
    test runs as run() would run it; in the server it returns None when no test is
    left."""

    def __init__(self, fork, serve):
        _Runner.__init__(self, None, serve)
        self.fork = fork
        self.listed = False

    def pytest_collection_modifyitems(self, session, config, items):
        pass  # every test stays: the worker forked for one keeps only it

    def pytest_runtestloop(self, session):
        if self.errors:
            return True
        self.listed = True
        nodeid = self.fork([(i.nodeid, i.get_closest_marker(MARK) is not None)
                            for i in session.items])
        if nodeid is None:
            return True
        self.nodeid = nodeid
        _own_capture_files(session.config)
        session.items[:] = [i for i in session.items if i.nodeid == nodeid][:1]
        return _Runner.pytest_runtestloop(self, session)


def _own_capture_files(config):
    """A forked worker shares the open files of the server, and so the files pytest's fd
    capture writes to (and truncates after each phase) with every other worker running at
    the same time: give it files of its own, at the same descriptors. Without fd capture
    (-s, --capture=sys) there is nothing to do."""
    import os
    import tempfile
    capman = config.pluginmanager.getplugin('capturemanager')
    multi = getattr(capman, '_global_capturing', None)
    for cap in (getattr(multi, 'out', None), getattr(multi, 'err', None)):
        try:
            fd = cap.tmpfile.fileno()
        except (AttributeError, OSError, ValueError):
            continue  # not an fd capture
        with tempfile.TemporaryFile() as f:
            os.dup2(f.fileno(), fd)


def _main(args, plugin):
    try:
        code = pytest.main(list(args), plugins=[plugin])
    except SystemExit as e:
        code = e.code
    return code


def collect(args):
    """-> [(nodeid, skip)], or raises RuntimeError with pytest's complaint."""
    plugin = _Collector()
    code = _main(list(args) + ['-p', 'no:cacheprovider'], plugin)
    if plugin.errors:
        raise RuntimeError('pytest could not collect the tests:\n' + '\n'.join(plugin.errors))
    if code not in (0, 5) and not plugin.items:  # 5: no tests collected
        raise RuntimeError('pytest exited with status %s while collecting (bad arguments?)'
                           % code)
    return plugin.items


def serve_tests(args, fork, serve):
    """The fork server (see _Server); raises as collect() does in the server, as run()
    does in a test's worker."""
    plugin = _Server(fork, serve)
    code = _main(list(args) + ['-p', 'no:cacheprovider'], plugin)
    if plugin.errors:
        raise RuntimeError(('' if plugin.nodeid else 'pytest could not collect the tests:\n')
                           + '\n'.join(plugin.errors))
    if plugin.outcome is not None:
        raise plugin.outcome
    if not plugin.listed:
        raise RuntimeError('pytest exited with status %s while collecting (bad arguments?)'
                           % code)


def run(args, nodeid, serve):
    """Runs one test under serve(step); raises Outcome or RuntimeError when it cannot."""
    plugin = _Runner(nodeid, serve)
    _main(list(args) + ['-p', 'no:cacheprovider'], plugin)
    if plugin.errors:
        raise RuntimeError('\n'.join(plugin.errors))
    if plugin.outcome is not None:
        raise plugin.outcome
