# worker/bootstrap.py: the worker's helpers that are simpler in Python than through the C
# API, run once when CPython starts (interp.c, lg_worker_new), before any code of the
# workload. They run at load time or between snapshots, never inside the measured call. A
# module only some of them need is imported where it is needed: importlib by a module
# target's load, traceback by describe() when a target fails (its re, enum and tokenize
# would cost every run about as much as the interpreter's own start-up does).
import sys, os

# CPython 3.10 gives a code object a LOAD_GLOBAL cache (two PyMem blocks, never freed
# while the code lives) on its 1024th run: a workload that runs hundreds of functions a
# few times a call (pytest's hooks, say) gains blocks at every call for a thousand calls,
# then stops. Bounded, and the interpreter's, not the workload's: CPython's own leak hunt
# (-R) turns it off for the same reason (Lib/test/libregrtest/setup.py), and so does the
# worker, before any code of the workload runs. Only 3.10 has the switch (for 3.8 and
# 3.9, see opcache_off_everywhere).
getattr(sys, '_deactivate_opcache', lambda: None)()

def load(kind, spec):
    mod_part, _, func = spec.rpartition(':')
    if kind == 'file':
        # importlib.util's own functions, from the import system's modules, which are
        # always loaded: importlib.util's imports (contextlib, collections, functools,
        # types) would cost every run of a small target a fifth of its start-up.
        external = sys.modules['_frozen_importlib_external']
        bootstrap = sys.modules['_frozen_importlib']
        path = os.path.abspath(mod_part)
        if not os.path.isfile(path):
            raise FileNotFoundError('no such file: %s' % mod_part)
        sys.path.insert(0, os.path.dirname(path))
        name = os.path.splitext(os.path.basename(path))[0]
        if name in sys.modules or not name.isidentifier() or taken(name, path):
            name = '__leakgate_target__'
        spec_ = external.spec_from_file_location(name, path)
        mod = bootstrap.module_from_spec(spec_)
        sys.modules[name] = mod
        spec_.loader.exec_module(mod)
    else:
        import importlib
        sys.path.insert(0, os.getcwd())
        mod = importlib.import_module(mod_part)
    try:
        fn = getattr(mod, func)
    except AttributeError:
        raise AttributeError('%s has no function %r' % (mod_part, func)) from None
    if not callable(fn):
        raise TypeError('%s:%s is not callable' % (mod_part, func))
    setup = getattr(mod, 'setup', None)
    return fn, setup if callable(setup) else None

# sys.path before any target's directory went in front of it. The worker's own code runs
# on it (describe(), attribution's load), since the modules it uses import others, some
# only when called (3.13's linecache imports tokenize, traceback ast): those are the
# standard library's even where the target's directory has a file of that name.
STDLIB_PATH = list(sys.path)

def on_stdlib_path(fn, *args):
    saved = sys.path[:]
    sys.path[:] = STDLIB_PATH
    try:
        return fn(*args)
    finally:
        sys.path[:] = saved

# A file target is registered in sys.modules under its own name unless another module
# of that name is to be had without it (the standard library's, a built-in one, an
# installed one): an import of that name, the worker's own included, must still find
# that one. The target itself found there (PYTHONPATH names its directory) is no other.
def taken(name, path):
    if name in sys.builtin_module_names or \
            name in getattr(sys, 'stdlib_module_names', ()):
        return True
    finder = sys.modules['_frozen_importlib_external'].PathFinder
    spec = finder.find_spec(name, STDLIB_PATH)
    return spec is not None and \
        os.path.realpath(spec.origin or '') != os.path.realpath(path)

def describe(exc):
    if isinstance(exc, SystemExit):
        return 'the workload called sys.exit(%r)\n' % (exc.code,)
    if getattr(exc, 'kind', None) in ('skip', 'fail') and hasattr(exc, 'text'):
        return exc.text.rstrip('\n') + '\n'
    return on_stdlib_path(format_traceback, exc)

def format_traceback(exc):
    try:
        import traceback
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if not f.filename.startswith(('<leakgate', '<frozen importlib'))]
        lines = traceback.format_exception_only(type(exc), exc)
    except Exception:
        # No traceback module to be had (a target took the place of one it needs):
        # what the exception says, at least.
        return '%s: %s\n' % (type(exc).__name__, exc)
    if frames:
        lines = ['Traceback (most recent call last):\n'] + \
            traceback.format_list(frames) + lines
    return ''.join(lines)

def clear_caches():
    # Only the standard library's caches that are bounded by construction (each
    # has a maximum size, or mirrors a registry the workload fills): clearing them
    # takes back what fills and stops. An unbounded registry (linecache.cache, where
    # code generators register sources; ctypes' pointer-type cache, one entry per
    # class) is the workload's state: emptying it would delete a leak before it is
    # measured. Never a user's cache.
    # The type method cache holds strong references to the attribute names it
    # caches (4096 slots): names built at run time fill it over hundreds of calls.
    f = getattr(sys, '_clear_internal_caches', None) or \
        getattr(sys, '_clear_type_cache', None)
    if f is not None:
        f()
    m = sys.modules
    # re: 512 patterns; struct: 100 formats; urllib.parse: two lru_caches (128);
    # copyreg: a mirror of the extension registry.
    for name, attr in (('re', 'purge'), ('struct', '_clearcache'),
                       ('urllib.parse', 'clear_cache'),
                       ('copyreg', 'clear_extension_cache')):
        mod = m.get(name)
        f = getattr(mod, attr, None) if mod is not None else None
        if f is not None:
            f()
    # fnmatch: an lru_cache(32768); typing: lru_caches of 128 each.
    mod = m.get('fnmatch')
    f = getattr(getattr(mod, '_compile_pattern', None), 'cache_clear', None)
    if f is not None:
        f()
    mod = m.get('typing')
    for f in getattr(mod, '_cleanups', ()):
        f()
