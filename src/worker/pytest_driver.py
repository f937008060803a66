# worker/pytest_driver.py: leakgate's side of `leakgate run --pytest`, compiled into the
# worker. It runs pytest.main() with the user's arguments and a plugin of its own: collect() lists
# the tests as pytest would run them; run() keeps one test, runs it once exactly as pytest
# would, then hands the worker a step() that runs it again through pytest's own
# pytest_runtest_protocol hook chain (function-scoped fixtures set up and torn down each
# time, wider ones once), putting back what pytest records on the test per run;
# serve_tests() collects once and forks a worker per test, each of which goes on as run()
# would.
import os
import re
import shutil
import sys
import tempfile

import pytest
import _pytest

MARK = 'no_leak_check'
# The same lines as leakgate's pytest plugin (share/pytest_leakgate.py) registers.
MARKERS = (
    '%s: leakgate does not gate this test' % MARK,
    'leakgate(budget=None, warmup=None, iterations=None, window=None): this test\'s own '
    'leakgate settings: budget a dict of counter names to allowed growth per iteration',
)


def _settings(item):
    """The test's closest @pytest.mark.leakgate as "key=value,budget.COUNTER=N" for the
    harness, which checks every name and value; '' when it has none."""
    mark = item.get_closest_marker('leakgate')
    if mark is None:
        return ''
    word = lambda v: re.sub(r'[\s,=]', '_', str(v)) or '_'
    out = ['args'] if mark.args else []
    for key, value in mark.kwargs.items():
        if key == 'budget' and isinstance(value, dict):
            out += ['budget.%s=%s' % (word(c), word(n)) for c, n in value.items()]
        else:
            out.append('%s=%s' % (word(key), word(value)))
    return ','.join(out)


_PYTEST_DIR = os.path.dirname(os.path.abspath(_pytest.__file__)) + os.sep
_MISSING = object()


class Outcome(Exception):
    """Why a test cannot be judged: kind is 'skip' or 'fail', or 'internal' when leakgate
    cannot drive this pytest; text says why."""

    def __init__(self, kind, text):
        Exception.__init__(self, text)
        self.kind = kind
        self.text = text


def _unsupported(what):
    """pytest's internals are not those this driver reads: say so with pytest's version
    rather than guess (a guess would read pytest's own records as the test's leak)."""
    return Outcome('internal', 'leakgate cannot drive pytest %s (%s): %s' %
                   (pytest.__version__, _PYTEST_DIR.rstrip(os.sep), what))


def _internal(obj, name, kind, where):
    """obj.name, which must be a kind: pytest's internal state this driver relies on."""
    value = getattr(obj, name, _MISSING)
    if value is _MISSING or not isinstance(value, kind):
        raise _unsupported('%s.%s is %s, not a %s' %
                           (where, name, 'missing' if value is _MISSING else
                            type(value).__name__, kind.__name__))
    return value


def _runtestprotocol():
    from _pytest import runner
    f = getattr(runner, 'runtestprotocol', None)
    if not callable(f):
        raise _unsupported('_pytest.runner.runtestprotocol is missing')
    return f


def _own(func):
    """Whether a callable is pytest's own code (its function lives in the _pytest package),
    looking through functools.partial and bound methods."""
    while True:
        inner = getattr(func, 'func', None) or getattr(func, '__func__', None)
        if inner is None or inner is func:
            break
        func = inner
    code = getattr(func, '__code__', None)
    return code is not None and os.path.abspath(code.co_filename).startswith(_PYTEST_DIR)


class _Base:
    def __init__(self):
        self.errors = []
        self.config = None
        self.devnull = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config):
        self.config = config
        for line in MARKERS:
            config.addinivalue_line('markers', line)
        # The worker reports; pytest's terminal output would only be noise. The terminal
        # reporter stays (pytest asks it for its writer, to explain a failed assert, and
        # live logging writes through it) but writes to /dev/null.
        tr = config.pluginmanager.getplugin('terminalreporter')
        if tr is not None:
            from _pytest.config import create_terminal_writer
            _internal(tr, '_tw', object, 'TerminalReporter')
            self.devnull = open(os.devnull, 'w')
            tr._tw = create_terminal_writer(config, self.devnull)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config):
        if self.devnull is not None:
            self.devnull.close()

    def _continue(self):
        return bool(self.config and self.config.getoption('continue_on_collection_errors',
                                                          False))

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append((report.nodeid, report.longreprtext))

    def pytest_internalerror(self, excrepr):
        self.errors.append((None, str(excrepr)))


def _plugin_name(impl):
    f = getattr(impl.plugin, '__file__', None)
    return os.path.relpath(f) if f else getattr(impl, 'plugin_name', repr(impl.plugin))


def _observers(pm, name):
    """The implementations of a hook that are neither pytest's own nor leakgate's."""
    return [impl for impl in getattr(pm.hook, name).get_hookimpls()
            if not _own(impl.function) and not isinstance(impl.plugin, _Base)]


def _probe_records(item, rounds=4):
    """Which plugins' pytest_runtest_makereport keep something per report: each is called
    with pytest's own implementations only, on reports of a passing run made up for the
    first test (pytest.CallInfo of a call that did nothing), and the blocks still allocated
    after each round say whether it keeps them. -> [(plugin, blocks a report)]"""
    import gc
    pm = item.config.pluginmanager
    found = []
    others = _observers(pm, 'pytest_runtest_makereport')
    for impl in others:
        hook = pm.subset_hook_caller('pytest_runtest_makereport',
                                     remove_plugins=[o.plugin for o in others
                                                     if o.plugin is not impl.plugin])
        held = []
        for _ in range(rounds):
            gc.collect()
            before = sys.getallocatedblocks()
            for when in ('setup', 'call', 'teardown'):
                hook(item=item, call=pytest.CallInfo.from_call(lambda: None, when=when))
            gc.collect()
            held.append(sys.getallocatedblocks() - before)
        if all(n > 0 for n in held[1:]):  # the first round may fill caches
            found.append((_plugin_name(impl), min(held[1:]) / 3.0))
    return found


class _Collector(_Base):
    def __init__(self):
        _Base.__init__(self)
        self.items = []
        self.records = []

    def pytest_collection_finish(self, session):
        for item in session.items:
            skip = item.get_closest_marker(MARK) is not None
            self.items.append((item.nodeid, skip, _settings(item)))
        if session.items:
            try:
                self.records = _probe_records(session.items[0])
            except Exception:  # a hook that cannot take a made-up report: no note, no harm
                self.records = []

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
    above the test (the session, its module) and of every fixture definition. Checks the
    shape of pytest's internals; _repeated_finalizer_lists() relies on it after."""
    state = _internal(session, '_setupstate', object, 'session')
    lists = []
    for entry in _internal(state, 'stack', dict, 'session._setupstate').values():
        if not (isinstance(entry, tuple) and entry and isinstance(entry[0], list)):
            raise _unsupported('session._setupstate.stack holds %s, not (finalizers, '
                               'exception)' % type(entry).__name__)
        lists.append(entry[0])
    fm = _internal(session, '_fixturemanager', object, 'session')
    for defs in _internal(fm, '_arg2fixturedefs', dict, 'session._fixturemanager').values():
        for d in defs:
            lists.append(_internal(d, '_finalizers', list, 'FixtureDef'))
    return lists


def _repeated_finalizer_lists(session):
    """The lists of _finalizer_lists() that hold two finalizers or more, the only ones
    _drop_repeated_finalizers() can shorten: read after every measured run, so without
    its checks (made once before the first, where a change of pytest's internals fails
    loudly) and in a few comprehensions over the hundreds of fixture definitions a
    session knows, most of them with no finalizer at all."""
    lists = [entry[0] for entry in session._setupstate.stack.values()
             if len(entry[0]) > 1]
    lists += [d._finalizers for defs in session._fixturemanager._arg2fixturedefs.values()
              for d in defs if len(d._finalizers) > 1]
    return lists


def _finalizer_key(fin):
    """What one of pytest's own finalizers tears down: its code and the objects it is bound
    to or closes over, but not the fixture request (new each run); None for anyone else's
    finalizer."""
    if not _own(fin):
        return None
    owners = []
    f = fin
    while True:
        if hasattr(f, 'func'):  # functools.partial
            owners.extend(getattr(f, 'args', ()))
            owners.extend(getattr(f, 'keywords', {}).values())
        if hasattr(f, '__self__'):
            owners.append(f.__self__)
        inner = getattr(f, 'func', None) or getattr(f, '__func__', None)
        if inner is None or inner is f:
            break
        f = inner
    for cell in getattr(f, '__closure__', None) or ():
        try:
            owners.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return (f.__code__, tuple(id(o) for o in owners
                              if not isinstance(o, pytest.FixtureRequest)))


def _drop_repeated_finalizers(lists):
    """pytest expects each test to run once, so (before pytest 8.2) it registers a
    wider-scoped fixture's teardown on every use: run a thousand times, that is a leak of
    pytest's making. Drop a finalizer of pytest's own when one tearing down the same thing
    is already registered; everyone else's stay, so a fixture that registers a finalizer
    per use still shows its growth."""
    for lst in lists:
        seen = set()
        keep = []
        for fin in lst:
            key = _finalizer_key(fin)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            keep.append(fin)
        if len(keep) != len(lst):
            lst[:] = keep


class _Records:
    """What pytest records on a test and its parents per run (report sections from
    capture and logging, user_properties, markers added by request.applymarker, stash
    entries, historic hook calls such as recorded warnings, the terminal reporter's
    statistics, import-cache entries of a run's temporary directories), taken before a
    run and put back after it: pytest runs an item once and never clears them."""

    def __init__(self, item):
        self.item = item
        self.nodes = item.listchain()
        hook = item.config.pluginmanager.hook
        # Historic hooks keep every call (recorded warnings among them) for plugins
        # registered later.
        _internal(hook.pytest_warning_recorded, '_call_history', list,
                  'the pytest_warning_recorded hook')
        self.history = [h for h in vars(hook).values()
                        if isinstance(getattr(h, '_call_history', None), list)]
        self.dtest = getattr(item, 'dtest', None)
        self.globs = dict(self.dtest.globs) if self.dtest is not None else None
        self.temps = None  # the tmpdir plugin's base directory's entries, once known
        self.take()

    def take(self):
        item = self.item
        self.sections = list(_internal(item, '_report_sections', list, 'Item'))
        self.props = list(_internal(item, 'user_properties', list, 'Item'))
        self.marks = []
        for node in self.nodes:
            kw = _internal(node, 'keywords', object, 'Node')
            self.marks.append((list(_internal(node, 'own_markers', list, 'Node')),
                               dict(_internal(kw, '_markers', dict, 'Node.keywords')),
                               set(getattr(node, 'extra_keyword_matches', ()))))
        self.stash = set(_internal(_internal(item, 'stash', object, 'Item'), '_storage',
                                   dict, 'Item.stash'))
        self.calls = [len(h._call_history) for h in self.history]
        self.importers = set(sys.path_importer_cache)
        tr = item.config.pluginmanager.getplugin('terminalreporter')
        self.stats = _internal(tr, 'stats', dict, 'TerminalReporter') if tr else None
        self.counts = {k: len(v) for k, v in self.stats.items()} if tr else None

    def _basetemp(self):
        """The directory under which tmp_path, tmp_path_factory and pytester make a new
        numbered directory per run, if the tmpdir plugin made it yet."""
        factory = getattr(self.item.config, '_tmp_path_factory', None)
        if factory is None:  # -p no:tmpdir
            return None
        base = getattr(factory, '_basetemp', _MISSING)
        if base is _MISSING:
            raise _unsupported('TempPathFactory._basetemp is missing')
        return str(base) if base is not None and os.path.isdir(str(base)) else None

    def take_temps(self):
        """What the base temporary directory holds after a measured run has set up every
        fixture of the test, wider-scoped ones included."""
        base = self._basetemp()
        self.temps = set(os.listdir(base)) if base else set()

    def drop_temps(self):
        """Removes the directories a run made under the base temporary directory: pytest
        numbers them anew each run, and their new names (in HOME and
        PYTEST_DEBUG_TEMPROOT under pytester, kept by the C library's setenv) would grow
        the process for the repetition alone."""
        base = self._basetemp()
        if base is None or self.temps is None:
            return
        for name in os.listdir(base):
            if name not in self.temps:
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)

    def fresh(self):
        """A doctest's globals as pytest gives them on its first run (doctest clears them
        after each run)."""
        if self.dtest is not None:
            self.dtest.globs.clear()
            self.dtest.globs.update(self.globs)

    def put_back(self):
        item = self.item
        item._report_sections[:] = self.sections
        item.user_properties[:] = self.props
        for node, (own, kw, extra) in zip(self.nodes, self.marks):
            node.own_markers[:] = own
            markers = node.keywords._markers
            if markers.keys() != kw.keys():
                markers.clear()
                markers.update(kw)
            if isinstance(getattr(node, 'extra_keyword_matches', None), set):
                node.extra_keyword_matches.intersection_update(extra)
        storage = item.stash._storage
        for key in storage.keys() - self.stash:
            del storage[key]
        for h, n in zip(self.history, self.calls):
            del h._call_history[n:]
        if self.stats is not None:  # the terminal reporter's warnings, say
            for key in [k for k in self.stats if k not in self.counts]:
                del self.stats[key]
            for key, n in self.counts.items():
                del self.stats[key][n:]
        # An importer cached for a path no longer on sys.path (a temporary directory a
        # fixture put there for one run) is pytest's, not the test's.
        new = sys.path_importer_cache.keys() - self.importers
        if new:
            for key in new.difference(sys.path):
                del sys.path_importer_cache[key]


class _Observers:
    """Hooks of plugins and conftest files that observe a test's reports
    (pytest_runtest_makereport and the log hooks) rather than take part in it: the first
    run calls them as pytest does; the measured runs leave them out, so a plugin's record
    per report is not read as the test's leak (the log hooks are not called at all, as
    pytest's runtestprotocol(log=False) does)."""

    HOOKS = ('pytest_runtest_makereport',)

    def __init__(self, config):
        self.quiet = False
        for name in self.HOOKS:
            for impl in _observers(config.pluginmanager, name):
                impl.function = self._gate(impl.function,
                                           getattr(impl, 'hookwrapper', False) or
                                           getattr(impl, 'wrapper', False))

    def _gate(self, f, wrapper):
        if wrapper:
            def gated(*args, **kwargs):
                if self.quiet:
                    return (yield)
                return (yield from f(*args, **kwargs))
        else:
            def gated(*args, **kwargs):
                return None if self.quiet else f(*args, **kwargs)
        return gated


class _Runner(_Base):
    def __init__(self, nodeid, serve, cache_dir):
        _Base.__init__(self)
        self.nodeid = nodeid
        self.serve = serve
        self.cache_dir = cache_dir
        self.outcome = None
        self.measuring = False
        self.reports = []
        self.protocol = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config):
        """Before the plugins are configured: the cache plugin, if on, gets leakgate's
        cache directory (as `-o cache_dir=` would, which pytest calls an unknown option
        when the user turned the plugin off)."""
        if config.pluginmanager.has_plugin('cacheprovider'):
            _internal(config, '_inicache', dict, 'Config')['cache_dir'] = self.cache_dir

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection_modifyitems(self, session, config, items):
        # The collecting worker already selected (-k, --lf, --sw, ...); here only this
        # test is run, whatever the selection options would make of a one-test session.
        everything = list(items)
        yield
        keep = [i for i in everything if i.nodeid == self.nodeid][:1]
        if keep and len(keep) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

    def pytest_runtest_logreport(self, report):
        if not self.measuring:
            self.reports.append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """Innermost in the measured runs: pytest's protocol without the log hooks; the
        wrappers (warnings, faulthandler, plugins') run around it as for any test."""
        if not self.measuring:
            return None
        self.reports = self.protocol(item, log=False, nextitem=nextitem)
        return True

    def _judge(self):
        for r in self.reports:
            if hasattr(r, 'wasxfail'):
                raise Outcome('skip', 'xfail: %s' % (r.wasxfail or 'expected to fail'))
            if r.skipped:
                reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
                raise Outcome('skip', reason)
            if r.failed:
                raise Outcome('fail', 'the test failed (%s):\n%s' % (r.when, r.longreprtext))
        if not self.reports:
            raise Outcome('fail', 'pytest ran no phase of the test (a plugin took over '
                          'pytest_runtest_protocol?)')

    def _failed_collector(self):
        texts = [t for nodeid, t in self.errors if nodeid == self.nodeid]
        return texts[0] if texts else None

    def pytest_runtestloop(self, session):
        failed = self._failed_collector()
        if failed is not None:
            # --continue-on-collection-errors: the collector that failed is a target.
            self.outcome = Outcome('fail', 'pytest could not collect %s:\n%s' %
                                   (self.nodeid, failed))
            return True
        if self.errors and not self._continue():
            return True
        self.errors = []
        if not session.items:
            self.errors.append((None, 'no test %s (deselected, or not collected with '
                                'these arguments)' % self.nodeid))
            return True
        item = session.items[0]
        if item.get_closest_marker(MARK) is not None:
            self.outcome = Outcome('skip', 'marked %s' % MARK)
            return True
        try:
            self._serve(session, item)
        except Outcome as o:
            self.outcome = o
        return True

    def _serve(self, session, item):
        self.protocol = _runtestprotocol()
        records = _Records(item)
        observers = _Observers(session.config)
        # The first run is pytest's, as `pytest NODEID` would run it: every hook, every
        # fixture torn down after it, so a failing teardown of any scope is an error.
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=None)
        self._judge()
        sibling = _Sibling(item)
        lists = _finalizer_lists(session)  # fails loudly before any measured run
        del lists

        measured = []

        def step():
            records.fresh()
            self.measuring = True
            observers.quiet = True
            try:
                item.ihook.pytest_runtest_protocol(item=item, nextitem=sibling)
            finally:
                self.measuring = False
                observers.quiet = False
                _drop_repeated_finalizers(_repeated_finalizer_lists(session))
                records.put_back()
                if measured:
                    records.drop_temps()
                else:
                    records.take_temps()
                    measured.append(True)
            self._judge()

        records.take()
        self.serve(step)


class _Server(_Runner):
    """The fork server: collects every test once, then fork(targets) forks a worker per
    test the supervisor asks for. In that worker fork() returns the test's node id and the
    test runs as run() would run it; in the server it returns None when no test is
    left."""

    def __init__(self, fork, serve):
        _Runner.__init__(self, None, serve, None)
        self.fork = fork
        self.listed = False
        self.items = []
        self.records = []
        self.failure = None  # what the collection could not do, once it ran

    def pytest_cmdline_main(self, config):
        pass  # the collection reads the project's cache (--lf, --ff, --nf, --sw)

    def pytest_collection_modifyitems(self, session, config, items):
        pass  # every test stays: the worker forked for one keeps only it

    pytest_collection_finish = _Collector.pytest_collection_finish

    def pytest_runtestloop(self, session):
        self.failure = _collection_problem(self)
        if self.failure:
            return True
        self.listed = True
        nodeid = self.fork(_targets(self))
        if nodeid is None:
            return True
        self.nodeid = nodeid
        _own_capture_files(session.config)
        _own_cache(self, session.config)
        # The tests this worker does not run stay referenced: dropped, each would leave
        # its cycles as garbage in the heap frozen before the fork, which only a
        # collection of the whole heap finds, writing to (and so copying) every page of
        # it; the first snapshot that saw the drop would pay for that.
        self.others = list(session.items)
        session.items[:] = [i for i in session.items if i.nodeid == nodeid][:1]
        return _Runner.pytest_runtestloop(self, session)


def _own_cache(plugin, config):
    """A forked worker's runs must not write the project's cache (lastfailed, nodeids,
    stepwise): the cache plugin, when on, gets a directory of the worker's own, which
    serve_tests() removes."""
    cache = getattr(config, 'cache', None)
    if cache is None:
        return
    _internal(cache, '_cachedir', object, 'config.cache')
    plugin.cache_dir = tempfile.mkdtemp(prefix='leakgate-pytest-cache-')
    cache._cachedir = type(cache._cachedir)(plugin.cache_dir)


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


def _collection_failure(plugin):
    return 'pytest could not collect the tests:\n' + '\n'.join(
        '%s\n%s' % (nodeid or '(session)', text) for nodeid, text in plugin.errors)


def _collection_problem(plugin):
    """Why the collection stops the run, or None: a collector failed (unless
    --continue-on-collection-errors, for collectors), or pytest itself did."""
    if plugin.errors and not (plugin._continue() and
                              all(nodeid for nodeid, _ in plugin.errors)):
        return _collection_failure(plugin)
    return None


def _targets(plugin):
    """The collected targets, [(nodeid, skip, settings)]: the collectors that failed
    first (with --continue-on-collection-errors; a module fails once for each collector of
    it), then the tests; and a note for each plugin that keeps records per test."""
    for name, blocks in plugin.records:
        sys.stderr.write('leakgate: %s: its pytest_runtest_makereport hook keeps a record '
                         'of every test report (%+.2f blocks a report); the measured runs '
                         'leave it out, so no test is blamed for it\n' % (name, blocks))
    sys.stderr.flush()
    failed = []
    for nodeid, _ in plugin.errors:
        if (nodeid, False, '') not in failed:
            failed.append((nodeid, False, ''))
    return failed + plugin.items


def collect(args):
    """-> [(nodeid, skip, settings)], or raises RuntimeError with pytest's complaint.
    With --continue-on-collection-errors, a collector that failed is listed as a test (its
    run reports the failure)."""
    plugin = _Collector()
    code = _main(args, plugin)
    failure = _collection_problem(plugin)
    if failure:
        raise RuntimeError(failure)
    if code not in (0, 5) and not plugin.items and not plugin.errors:
        raise RuntimeError('pytest exited with status %s while collecting (bad arguments?)'
                           % getattr(code, 'value', code))  # 3.8-3.10 print an ExitCode's name
    return _targets(plugin)


def serve_tests(args, fork, serve):
    """The fork server (see _Server); raises as collect() does in the server, as run()
    does in a test's worker."""
    plugin = _Server(fork, serve)
    try:
        code = _main(args, plugin)
    finally:
        if plugin.cache_dir:
            shutil.rmtree(plugin.cache_dir, ignore_errors=True)
    if plugin.nodeid is None and plugin.failure:
        raise RuntimeError(plugin.failure)
    if plugin.outcome is not None:
        raise plugin.outcome
    if plugin.nodeid is not None and plugin.errors:
        raise RuntimeError('\n'.join(t for _, t in plugin.errors))
    if not plugin.listed:
        raise RuntimeError('pytest exited with status %s while collecting (bad arguments?)'
                           % getattr(code, 'value', code))  # 3.8-3.10 print an ExitCode's name


def run(args, nodeid, serve):
    """Runs one test under serve(step); raises Outcome or RuntimeError when it cannot.
    pytest's cache plugin keeps its options and the `cache` fixture, with a cache
    directory of leakgate's own for the run, removed after it: the collecting session
    read the project's cache; the runs must not write theirs into it."""
    cache = tempfile.mkdtemp(prefix='leakgate-pytest-cache-')
    plugin = _Runner(nodeid, serve, cache)
    try:
        _main(args, plugin)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if plugin.outcome is not None:
        raise plugin.outcome
    if plugin.errors:
        raise RuntimeError('\n'.join(t for _, t in plugin.errors))
