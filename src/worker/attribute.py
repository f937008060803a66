# worker/attribute.py: the Python half of attribution, compiled into the worker
# (attribute.c holds the C half). After a leak verdict it re-runs the workload a few times with
# tracemalloc and the allocation record on, and answers: what grew, where it was
# allocated, why it is still alive. Returns (state, text, json, dot), state being 'leak',
# 'bounded' (a container with a maximum size holds the growth), 'tombstones' (all that
# grew is dead weak references, not yet swept) or 'stopped' (these calls did not grow).
#
# It imports only the interpreter's built-in modules (and _json), not their pure-Python
# faces: json, tracemalloc, threading, collections, functools, weakref and linecache, with
# the re, enum, pickle and tokenize they import, cost a small target's attribution about
# as much as the interpreter's start-up (16 ms of 36 on CPython 3.11). The workload's own
# loaded modules are used where it has them (threading, linecache). The worker loads this
# module on the standard library's sys.path, so that an import it does make (linecache, for
# a source no file holds) finds the standard library's even where the target's directory
# has a file of that name.
import _collections, _functools, _thread, _tracemalloc, _weakref, codecs, gc, os, sys, time
try:
    from _json import encode_basestring_ascii as _json_str
except ImportError:      # a build without the accelerator
    from json.encoder import py_encode_basestring_ascii as _json_str

FRAMES = 25          # traceback depth tracemalloc keeps
MAX_TYPES = 8        # growing types listed
MAX_SITES = 5        # allocation sites listed
MAX_CHAINS = 3       # referrer chains searched
SEARCH_LIMIT = 1000000
OUTER_LOOKS = 10000  # objects of one type looked at for an outer one
# Calls traced for allocation sites: tracemalloc slows a call 10-30 times, so tracing every
# attributed call would cost more than the verdict did; the sites need growth in two. Growth
# in bursts needs a whole period traced: the supervisor asks for it (`traced`).
TRACED_CALLS = 2
# Calls whose survivors the text report lists one by one; past it, a sum.
SHOWN_CALLS = 10
ESCAPE_WALK = 10000  # steps the bound's walk takes past an escape, to name a container

# The sampled leaked objects of the last attribution, with a label each, for the GDB
# failing point (lg_worker_suspects): (label, object).
SUSPECTS = []


def _type_name(t):
    mod = getattr(t, '__module__', None)
    name = getattr(t, '__qualname__', t.__name__)
    return name if mod in (None, 'builtins') else '%s.%s' % (mod, name)


def _census():
    """How many GC-tracked objects of each type are alive, by type. Only the tracked ones:
    nothing lists the others (a float, a dict of atoms). Counted in C (_lg.census): a loop
    here over every object cost a small heap's attribution a tenth of its time."""
    return _lg.census(gc.get_objects())


def _net_growth(survivors, iterations, before, after):
    """{type: net growth} over the attributed calls (the last aside, which may keep its
    result): how many more objects of each type are alive than before them. A type that
    the census counts (tracked objects) grew by what its count rose, up to what the calls
    left alive of it: an object that replaced an older one (a cache evicting, a name rebound)
    is no growth. For untracked objects there is no count to compare with, so a single
    survivor, which is what rebinding a name to a new value leaves, is not growth; two or
    more are. Growth in bursts counts whole, however few of the calls made it."""
    made, made_untracked, last = {}, {}, {}
    for obj, i in survivors:
        t = type(obj)
        if i >= iterations:
            if gc.is_tracked(obj):
                last[t] = last.get(t, 0) + 1
        elif gc.is_tracked(obj):
            made[t] = made.get(t, 0) + 1
        else:
            made_untracked[t] = made_untracked.get(t, 0) + 1
    out = {}
    for t in set(made) | set(made_untracked):
        n = made.get(t, 0)
        if n:
            n = max(0, min(n, after.get(t, 0) - before.get(t, 0) - last.get(t, 0)))
        u = made_untracked.get(t, 0)
        n += u if u >= 2 else 0
        if n > 0:
            out[t] = n
    return out


def _all_types():
    seen, todo = {id(object): object}, [object]
    while todo:
        t = todo.pop()
        try:
            subs = type.__subclasses__(t)
        except TypeError:
            continue
        for s in subs:
            if id(s) not in seen:
                seen[id(s)] = s
                todo.append(s)
    return list(seen.values())


def _short(obj, width=40):
    try:
        r = repr(obj)
    except Exception:
        r = '<%s>' % _type_name(type(obj))
    return r if len(r) <= width else r[:width - 3] + '...'


def _open_fds():
    out = {}
    try:
        for name in os.listdir('/proc/self/fd'):
            try:
                out[int(name)] = os.readlink('/proc/self/fd/' + name)
            except OSError:
                pass
    except OSError:
        pass
    return out


def _state_parent(pid):
    """(state letter, parent pid) from /proc/PID/stat, or None when it cannot be read."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b')') + 2:].split()
    return (fields[0].decode('ascii', 'replace'), int(fields[1])) if len(fields) > 1 \
        else None


def _children():
    """Child processes of this one, running or zombie: {pid: state letter}. From the lists
    the kernel keeps of each thread's children (/proc/self/task/TID/children), a few reads;
    where it keeps none (a kernel without CONFIG_PROC_CHILDREN), every process's parent is
    read, a millisecond or more on a machine running a hundred processes (as the counter
    does, sysstat.c)."""
    out = {}
    me = os.getpid()
    pids = None
    if os.access('/proc/self/task/%d/children' % _thread.get_native_id(), os.R_OK):
        try:
            pids = []
            for tid in os.listdir('/proc/self/task'):
                try:
                    with open('/proc/self/task/%s/children' % tid, 'rb') as f:
                        pids.extend(int(p) for p in f.read().split())
                except (FileNotFoundError, ProcessLookupError):
                    continue          # a thread that ended meanwhile
        except OSError:
            pids = None
    if pids is None:
        try:
            pids = [int(name) for name in os.listdir('/proc') if name.isdigit()]
        except OSError:
            return out
    for pid in pids:
        st = _state_parent(pid)
        if st is not None and st[1] == me:
            out[pid] = st[0]
    return out


def _new_children(before, grace):
    """_children(), with the children not in `before` that still run given up to `grace`
    seconds (capped at a tenth of one) to end: a process a call starts and never waits for
    may still be starting when its call returns, and its end is what the report must say
    (a zombie, never waited for). The grace is the time the attributed calls took: a child
    of theirs that ends within as long as they ran ends with them."""
    deadline = time.monotonic() + min(grace, 0.1)
    while True:
        now = _children()
        if all(pid in before or state == 'Z' for pid, state in now.items()) or \
                time.monotonic() >= deadline:
            return now
        time.sleep(0.0005)


def _command_line(pid):
    """What a child runs: subprocess.Popen's args when a Popen object still knows the pid,
    else /proc's command line (gone once it exited: then its name, from comm)."""
    sp = sys.modules.get('subprocess')
    popen = getattr(sp, 'Popen', None) if sp is not None else None
    if isinstance(popen, type):
        for obj in gc.get_objects():
            if type(obj) is popen and getattr(obj, 'pid', None) == pid:
                args = obj.args
                if isinstance(args, (list, tuple)):
                    return ' '.join(os.fsdecode(a) if isinstance(a, bytes) else str(a)
                                    for a in args)
                return os.fsdecode(args) if isinstance(args, bytes) else str(args)
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            argv = [a for a in f.read().split(b'\0') if a]
        if argv:
            return ' '.join(os.fsdecode(a) for a in argv)
        with open('/proc/%d/comm' % pid, 'rb') as f:
            return '[%s]' % os.fsdecode(f.read().strip())
    except OSError:
        return '?'


class _Roots:
    """What counts as a root, keyed by id: module dicts, class dicts, thread frames.
    `kind` holds each root's kind and `what` what names it (a module's name, the class, a
    thread's description); a class is described only when a chain ends at it, as a heap
    has thousands of classes and a report names at most a few."""

    def __init__(self, lg, types):
        self.kind = {}
        self.what = {}
        for name, mod in list(sys.modules.items()):
            d = getattr(mod, '__dict__', None)
            if type(d) is dict:
                self._add(d, 'module', name)
        for t in types:
            d = lg.type_dict(t)
            if d is not None:
                self._add(d, 'class', t)
        me = _thread.get_ident()
        names = {th.ident: th.name for th in _threads()}
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            f = frame
            while f is not None:
                self._add(f, 'thread', "thread '%s' in %s (%s:%d)" % (
                    names.get(ident, ident), f.f_code.co_name, f.f_code.co_filename,
                    f.f_lineno))
                f = f.f_back

    def _add(self, obj, kind, what):
        self.kind.setdefault(id(obj), kind)
        self.what.setdefault(id(obj), what)

    def describe(self, key):
        kind, what = self.kind[key], self.what[key]
        return "module '%s'" % what if kind == 'module' else \
            "class '%s'" % _type_name(what) if kind == 'class' else what


def _link(parent, child, parent_kind):
    """How a person reads the reference parent -> child."""
    if type(parent) is dict:
        for k, v in parent.items():
            if v is child:
                if parent_kind == 'module':
                    return 'global %s' % k
                if parent_kind == 'class':
                    return '.%s' % k
                return '[%s]' % _short(k, 30)
            if k is child:
                return '(key)'
        return '(in dict)'
    if type(parent).__name__ == '_lru_cache_wrapper':
        return '(cache)' if type(child) is dict else '(cache entry)'
    if isinstance(parent, (list, tuple)) or type(parent).__name__ == 'deque':
        for i, v in enumerate(parent):
            if v is child:
                return '[%d]' % i
    if isinstance(parent, (set, frozenset)):
        return '{member}'
    if type(parent).__name__ == 'frame':
        for k, v in parent.f_locals.items():
            if v is child:
                return 'local %s' % k
    for name in ('__self__', '__func__', '__closure__', '__globals__', '__defaults__',
                 '__kwdefaults__', '__wrapped__', 'cell_contents', 'f_back', '__code__'):
        try:
            if getattr(parent, name) is child:
                return '.' + name
        except Exception:
            pass
    try:
        attrs = vars(parent)
    except TypeError:
        attrs = None
    if attrs is child:
        return '.__dict__'
    if type(attrs) is dict:
        for k, v in attrs.items():
            if v is child:
                return '.%s' % k
    for k in getattr(type(parent), '__slots__', ()):
        if getattr(parent, k, None) is child:
            return '.%s' % k
    return '->'


def _collapse(links):
    """Reads an instance's __dict__ as attributes: obj .__dict__ ['k'] becomes obj .k."""
    merged = []
    for label, node in links:
        if merged and merged[-1][0] == '.__dict__' and label.startswith("['"):
            merged.pop()
            label = '.' + label[2:-2]
        merged.append((label, node))
    return merged


# The containers whose bound growth may rest on, recognised by their real type (a class
# that only shares a name or a `maxlen` attribute bounds nothing): collections.deque with a
# maxlen, and the C lru_cache wrapper with a maxsize.
_DEQUE = _collections.deque
_LRU = getattr(_functools, '_lru_cache_wrapper', None)
if not isinstance(_LRU, type):
    _LRU = None

# Bounded containers that were already full at the last attribution, by id. Found full
# again, a whole window later, while the counters still grew, such a container explains
# nothing: a bound on its entries bounds neither what each entry holds nor memory no
# object holds. That is all the rule concludes. When everything the calls left alive sits
# in the full container, the growth is not "elsewhere": it is the container's turnover
# (an lru_cache keyed by a counter evicts preallocated small ints for heap ints from call
# 257 to call 256 + maxsize), or memory no Python object holds; the reason says so.
_FULL_BEFORE = set()


def _bound_of(obj):
    """(description, size, maximum) for a recognised bounded container, else None."""
    t = type(obj)
    if t is _DEQUE:
        return None if obj.maxlen is None else ('collections.deque', len(obj), obj.maxlen)
    if _LRU is not None and t is _LRU:
        info = obj.cache_info()
        if info.maxsize is None or info.maxsize <= 0:
            return None
        return ('functools.lru_cache %s' % getattr(obj, '__qualname__', '?'),
                info.currsize, info.maxsize)
    return None


def _bounded_sizes():
    """Sizes of every recognised bounded container alive now, by id."""
    out = {}
    kinds = (_DEQUE,) if _LRU is None else (_DEQUE, _LRU)
    for obj in _lg.of_types(gc.get_objects(), kinds):
        b = _bound_of(obj)
        if b is not None:
            out[id(obj)] = b[1]
    return out


def _companion_of(lg, g, obj, new):
    """The new object whose lifetime decides obj's, or None. A live weak reference goes
    with its referent (WeakSet, WeakValueDictionary and the like drop it when the referent
    dies); so does the key of an `id(o) -> weakref(o)` entry, which is how the interpreter
    records a class among its base's subclasses (typeobject.c, add_subclass)."""
    if isinstance(obj, _weakref.ref):
        o = obj()
        return o if o is not None and id(o) in new else None
    if type(obj) is int:
        refs = lg.referrers(g, obj)
        principal = None
        for p in refs:
            v = p.get(obj) if type(p) is dict else None
            o = v() if isinstance(v, _weakref.ref) else None
            if o is None or id(o) != obj:
                return None
            principal = o
        return principal if principal is not None and id(principal) in new else None
    return None


# The counters whose growth dead weak references can make: objects and their blocks.
_OBJECT_COUNTERS = {'py_blocks', 'py_bytes', 'gc_objects', 'refs'}


def _tombstone(obj):
    """Whether obj is a weak reference whose referent is dead: a tombstone, which whoever
    holds it keeps until it sweeps (sqlite3's connection prunes its cursors' weak
    references every 200 cursors). Called through weakref.ref itself, so that a subclass
    cannot answer for it."""
    return isinstance(obj, _weakref.ref) and _weakref.ref.__call__(obj) is None


def _down_path(down, obj, source):
    """[obj, ..., source]: how the walk reached obj from source, read forwards."""
    path = [obj]
    while path[-1] is not source:
        path.append(down[id(path[-1])])
    return path


def _judge_bound(lg, g, early, new, sizes_before, calls, remaining, deadline=None):
    """Whether bounded containers explain all that survived: every object made by the
    attributed calls (the last aside) must be reachable only through recognised bounded
    containers, not yet full, whose bound the run can reach. Walks referrers backwards
    from every such object, through new objects only, stopping at a bounded container;
    reaching anything else (an older object, a root, or nothing at all: a reference from
    C) means something unbounded holds the growth. Returns a dict: 'escape' (the object
    held from outside, or None), 'holders' [(container, description, size, maximum,
    per-call fill rate)], 'bounded' (description, size, maximum) or None, and 'why'."""
    memo = {}

    def holder(p):
        k = id(p)
        if k not in memo:
            memo[k] = None
            if _bound_of(p) is not None:
                memo[k] = p
            elif type(p) is dict and k not in new:
                # An lru_cache keeps its entries in a dict only the wrapper refers to.
                for q in lg.referrers(g, p):
                    if _LRU is not None and type(q) is _LRU and \
                            p is not getattr(q, '__dict__', None) and \
                            _bound_of(q) is not None:
                        memo[k] = q
                        break
        return memo[k]

    out = {'escape': None, 'outside': None, 'path': [], 'holders': [], 'bounded': None,
           'why': None}
    if not early:
        return out
    seen = set()
    todo = []
    held = {}
    down = {}   # id of a new object reached -> the object it was reached from
    # One walk from each source in turn (the sources seeded as the walk needs them).
    sources = iter(early)
    steps = after_escape = 0
    while True:
        if not todo:
            for obj in sources:
                if id(obj) not in seen and _companion_of(lg, g, obj, new) is None:
                    seen.add(id(obj))
                    todo.append((obj, obj))
                    break
            else:
                break
        steps += 1
        if not steps & 1023:
            _check(deadline)
        if out['escape'] is not None:
            # Growth that escapes is a leak whatever else holds it; walk on a little
            # only to name a bounded container it also sits in.
            after_escape += 1
            if held or after_escape > ESCAPE_WALK:
                break
        obj, source = todo.pop()
        refs = lg.referrers(g, obj)
        if not refs and out['escape'] is None:
            out['escape'] = source
            out['path'] = _down_path(down, obj, source)
        for p in refs:
            c = holder(p)
            if c is not None:
                held[id(c)] = c
                continue
            if id(p) in seen:
                continue
            seen.add(id(p))
            if id(p) in new:
                down[id(p)] = obj
                todo.append((p, source))
            elif out['escape'] is None:
                out['escape'] = source
                out['outside'] = p
                out['path'] = _down_path(down, obj, source)
    del todo, seen, down, sources
    holders = []
    for c in held.values():
        desc, size, maximum = _bound_of(c)
        before = sizes_before.get(id(c), 0)
        rate = (size - before) / float(calls) if calls else 0.0
        out['holders'].append((desc, size, maximum, rate))
        holders.append((c, desc, size, maximum, rate))
    if out['escape'] is not None or not held:
        return out
    full_now = set()
    ok = True
    for c, desc, size, maximum, rate in holders:
        if size >= maximum:
            full_now.add(id(c))
            if id(c) in _FULL_BEFORE:
                ok = False
                out['why'] = ('%s was already full (%d of %d entries) at the last '
                              'attribution and the counters still grew, with everything '
                              'these calls left alive held in it: it takes in entries '
                              'bigger than those it evicts (turnover), or memory no Python '
                              'object holds grows; a bound on its entries bounds neither'
                              % (desc, size, maximum))
        elif rate <= 0 or (remaining is not None and (maximum - size) / rate > remaining):
            ok = False
            out['why'] = ('%s holds %d of %d entries, filling at %.2f per call: its '
                          'bound lies beyond the %s calls left in this run, so it bounds '
                          'nothing the run can see' % (desc, size, maximum, rate,
                                                        remaining if remaining is not None
                                                        else 'few'))
    _FULL_BEFORE.clear()
    _FULL_BEFORE.update(full_now)
    if ok:
        desc, size, maximum, _ = out['holders'][0]
        out['bounded'] = (desc, size, maximum)
    return out


# Frames of leakgate itself and of the test runner that calls the workload (--pytest):
# they lead to every allocation and say nothing about any.
_RUNNER_DIRS = tuple('%s%s%s' % (os.sep, d, os.sep) for d in ('_pytest', 'pluggy'))


def _runner_frame(filename):
    return filename.startswith('<leakgate') or any(d in filename for d in _RUNNER_DIRS)


def _own_site(tb):
    """Whether a traceback ((filename, line) pairs, oldest first) is leakgate's own
    allocation: made in its code, or anywhere under the cache clearing between calls or
    tracemalloc's module (the workload's, when it has one)."""
    if not tb or tb[-1][0].startswith('<leakgate'):
        return True
    tm = getattr(sys.modules.get('tracemalloc'), '__file__', None)
    return any(f[0] == '<leakgate>' or f[0] == tm for f in tb)


def _threads():
    """threading.enumerate() of the workload's threading module; none where it has none
    (no Thread object can exist before it is imported)."""
    threading = sys.modules.get('threading')
    return threading.enumerate() if threading is not None else []


def _snapshot():
    """tracemalloc.take_snapshot()'s traces: (domain, size, frames, ...) each, frames
    (filename, line) newest first."""
    if not _tracemalloc.is_tracing():
        raise RuntimeError('the tracemalloc module must be tracing memory allocations '
                           'to take a snapshot')
    return _tracemalloc._get_traces()


def _groups(traces):
    """{traceback: [count, size]} for _snapshot()'s traces, the traceback's (filename,
    line) pairs oldest first: one group per traceback, every domain."""
    groups = {}
    for trace in traces:
        g = groups.get(trace[2])
        if g is None:
            groups[trace[2]] = [1, trace[1]]
        else:
            g[0] += 1
            g[1] += trace[1]
    return {tuple(reversed(frames)): g for frames, g in groups.items()}


def _grouped(traces):
    """What Snapshot.statistics('traceback') gives for _snapshot()'s traces, as (count,
    size, traceback), in its order (size, count, traceback, greatest first)."""
    out = [(c, size, tb) for tb, (c, size) in _groups(traces).items()]
    out.sort(key=lambda s: (s[1], s[0], s[2]), reverse=True)
    return out


def _grouped_since(before, after):
    """Snapshot.compare_to(before, 'traceback') for two _snapshot()s, the groups that grew
    in bytes and not fewer in blocks, as (count_diff, size_diff, traceback), in its order
    (abs(size_diff), size, abs(count_diff), count, traceback, greatest first)."""
    old = _groups(before)
    out = []
    for tb, (c, size) in _groups(after).items():
        c0, s0 = old.get(tb, (0, 0))
        out.append((abs(size - s0), size, abs(c - c0), c, tb, c - c0, size - s0))
    out.sort(reverse=True)
    return [(dc, ds, tb) for _, _, _, _, tb, dc, ds in out if ds > 0 and dc >= 0]


# Source files read for the sites of one attribution: {filename: (lines, encoding) or None}.
_SOURCES = {}


def _cookie(line):
    """The encoding a PEP 263 comment line names, or None."""
    text = line.lstrip(b' \t\f')
    if not text.startswith(b'#'):
        return None
    at = text.find(b'coding')
    while at >= 0:
        rest = text[at + 6:]
        if rest[:1] in (b':', b'='):
            rest = rest[1:].lstrip(b' \t')
            n = 0
            while n < len(rest) and (rest[n:n + 1].isalnum() or rest[n:n + 1] in b'-_.'):
                n += 1
            if n:
                return rest[:n].decode('ascii')
        at = text.find(b'coding', at + 1)
    return None


def _source_encoding(lines):
    """The encoding of a source file's lines, as tokenize.detect_encoding finds it: a
    UTF-8 byte order mark, or a coding comment on either of the first two lines (the
    second only after a blank or comment line), else UTF-8."""
    if lines and lines[0].startswith(codecs.BOM_UTF8):
        return 'utf-8-sig'
    for line in lines[:2]:
        name = _cookie(line)
        if name is not None:
            try:
                return codecs.lookup(name).name
            except LookupError:
                return 'utf-8'
        if line.strip() and not line.lstrip().startswith(b'#'):
            break
    return 'utf-8'


def _source_line(filename, lineno):
    """linecache.getline(filename, lineno), stripped, without importing linecache (and its
    tokenize and re) when the workload has not: the file's own line, decoded as the
    interpreter would. A name that is no file falls back to linecache, which knows sources
    registered in its cache and sys.path's directories."""
    linecache = sys.modules.get('linecache')
    if linecache is None:
        source = _SOURCES.get(filename, False)
        if source is False:
            try:
                with open(filename, 'rb') as f:
                    lines = f.read().splitlines()
                source = (lines, _source_encoding(lines))
            except (OSError, ValueError):
                source = None
            _SOURCES[filename] = source
        if source is not None:
            lines, encoding = source
            if not 1 <= lineno <= len(lines):
                return ''
            return lines[lineno - 1].decode(encoding, 'replace').strip()
        if filename.startswith('<') and filename.endswith('>'):
            return ''   # nothing registered: linecache is not even loaded
        import linecache
    return linecache.getline(filename, lineno).strip()


def _dumps(o):
    """json.dumps(o) for the report's values (dicts with str keys, lists, tuples, str,
    int, float, bool, None), without the json package's imports; a float that is not
    finite is null, which JSON can hold."""
    if o is None:
        return 'null'
    if o is True:
        return 'true'
    if o is False:
        return 'false'
    t = type(o)
    if t is str:
        return _json_str(o)
    if t is int:
        return int.__repr__(o)
    if t is float:
        return float.__repr__(o) if o - o == 0 else 'null'
    if t is dict:
        return '{%s}' % ', '.join('%s: %s' % (_json_str(str(k)), _dumps(v))
                                  for k, v in o.items())
    if t is list or t is tuple:
        return '[%s]' % ', '.join(_dumps(v) for v in o)
    raise TypeError('%s is not JSON serializable' % t.__name__)


class _Deadline(Exception):
    """Attribution ran out of time: the leak verdict stands with what was found."""


def _check(deadline):
    if deadline is not None and time.perf_counter() > deadline:
        raise _Deadline()


def attribute(lg, call, clear_caches, iterations, counters_failed, remaining=None,
              seconds_left=None, traced=0):
    """Runs `iterations` calls with attribution on; `call` raises on a workload error.
    The last `traced` of them (at least TRACED_CALLS) run under tracemalloc.
    `remaining` is how many calls the run has left (None: unknown): a bounded container
    that cannot fill within them bounds nothing the run can see. `seconds_left` is the
    deadline (None: none): past it, attribution stops where it is and says so, and the
    state is 'leak' (the verdict stands)."""
    t_start = time.perf_counter()
    gc_was = gc.isenabled()
    traced_before = _tracemalloc.is_tracing()
    fds_before = _open_fds()
    # Every thread the interpreter runs, whether or not the threading module knows it.
    threads_before = set(sys._current_frames())
    children_before = _children()
    report = {'iterations': iterations, 'grew': [], 'sites': [], 'chains': [],
              'bounded': None, 'new_fds': [], 'new_threads': [], 'new_children': [],
              'error': None,
              'graph_objects': 0, 'holders': [], 'unbounded': None, 'bound_note': None,
              'deadline': False, 'deadline_seconds': seconds_left, 'tombstones': 0}
    survivors = []
    # The worker froze the heap before measuring (gc.freeze()): the census and the graph
    # must see every object, so they thaw it; the calls run frozen, so that their
    # collections walk only what is new, as while measuring. The worker freezes the heap
    # again before the next call it makes.
    gc.unfreeze()
    sizes_before = _bounded_sizes()
    gc.freeze()
    clock = time.perf_counter
    seconds = report['seconds'] = {'calls': 0.0, 'census': 0.0, 'graph': 0.0,
                                   'chains': 0.0, 'sites': 0.0}
    t0 = clock()
    deadline = clock() + seconds_left if seconds_left else None
    try:
        # One call to settle what a first call after a pause allocates once.
        call()
        clear_caches()
        gc.collect()
        # What is alive before the calls, to count their net growth by (_net_growth).
        gc.unfreeze()
        census_before = _census()
        gc.freeze()
        # tracemalloc runs for the last TRACED_CALLS calls only, started then, so that
        # its snapshot holds only what those calls allocated and is still alive: the
        # cost follows what survived, not the heap. When the workload traces already,
        # its traces are compared against a baseline instead.
        before = None
        traced_from = max(1, iterations - max(TRACED_CALLS, traced) + 1)
        report['traced_calls'] = iterations - traced_from + 1
        for i in range(1, iterations + 1):
            _check(deadline)
            if i == traced_from:
                if traced_before:
                    before = _snapshot()
                else:
                    _tracemalloc.start(FRAMES)
            # Last before the call: a full collection empties the free lists (the clock
            # read above freed a float into one), so what the call leaks is new blocks.
            gc.collect()
            lg.record(i)
            call()
            lg.record(0)
            clear_caches()
        gc.collect()
        after = _snapshot()
        if not traced_before:
            _tracemalloc.stop()   # before the grouping below, which allocates
        seconds['calls'] = clock() - t0
        t0 = clock()
        # A site grows by blocks or, for a container's item array, by bytes alone.
        stats = _grouped(after) if before is None else _grouped_since(before, after)
        del before, after
        # Filtered after grouping: one test per traceback, not per trace.
        stats = [s for s in stats if not _own_site(s[2])]
        stats.sort(key=lambda s: (s[0], s[1]), reverse=True)
        _SOURCES.clear()
        for count, size, tb in stats:
            frames = [{'file': f, 'line': line, 'code': _source_line(f, line)}
                      for f, line in tb if not _runner_frame(f)]
            if frames and len(report['sites']) < MAX_SITES:
                report['sites'].append({'count': count, 'size': size, 'traceback': frames})
            if len(report['sites']) >= MAX_SITES:
                break
        del stats
        seconds['sites'] = clock() - t0
    except _Deadline:
        lg.record(0)
        report['deadline'] = True
    except Exception as e:
        lg.record(0)
        report['error'] = '%s: %s' % (type(e).__name__, e)
    finally:
        lg.record(0)
        _SOURCES.clear()
        if not traced_before and _tracemalloc.is_tracing():
            _tracemalloc.stop()

    t0 = clock()
    gc.unfreeze()
    gc.disable()
    try:
        if report['deadline']:
            raise _Deadline()
        census_after = _census()   # before anything below adds objects of its own
        types = _all_types()
        survivors = lg.survivors(types)
        lg.record_clear()
        by_type = {}
        for obj, i in survivors:
            per = by_type.get(type(obj))
            if per is None:
                per = by_type[type(obj)] = [0] * iterations
            per[i - 1] += 1
        # A type grew by its net growth over the calls (the last aside: it may
        # legitimately keep its latest result), not by how many of them made some: a
        # leak in bursts leaves objects from one call in twenty-five.
        net = _net_growth(survivors, iterations, census_before, census_after)
        del census_before, census_after
        grew = [(t, by_type[t], n) for t, n in net.items()]
        grew.sort(key=lambda tp: tp[2], reverse=True)
        report['grew'] = [{'type': _type_name(t), 'per_iteration': per, 'net': n}
                          for t, per, n in grew[:MAX_TYPES]]
        del net

        # Suspects: objects of the growing types made before the last call, the
        # outermost ones only when there are any (no other new object refers to them: the
        # record, not its fields: an object that something older holds, or nothing
        # traced holds), one per type, largest growth first.
        growing = {t for t, _, _ in grew}
        candidates = [(obj, i) for obj, i in survivors
                      if type(obj) in growing and i < iterations]
        picks = []
        seconds['census'] = clock() - t0
        t0 = clock()
        # Everything the calls left alive (the last call aside), whatever its type: a
        # bounded container explains the growth only if it holds all of it.
        early = [obj for obj, i in survivors if i < iterations]
        # Growth made only of tombstones (every object the calls left alive a dead weak
        # reference, and only the object counters failed) is a sweep still to come or a
        # leak: the run measures on to its limit, which passes only if they are swept.
        if early and set(counters_failed) <= _OBJECT_COUNTERS and \
                all(_tombstone(obj) for obj in early):
            report['tombstones'] = len(early)
        _check(deadline)
        if early:
            roots = _Roots(lg, types)
            objects = gc.get_objects()
            graph_objects = len(objects)
            here = []
            f = sys._getframe()
            while f is not None:
                here.append(f)
                f = f.f_back
            g = lg.graph(objects, [survivors, candidates, picks, objects, types, early,
                                   here, roots.kind, roots.what, by_type, grew] +
                         here + survivors + candidates + grew, early)
            del objects, here, f
            _check(deadline)
            new = {id(obj) for obj, _ in survivors}
            seconds['graph'] = clock() - t0
            t0 = clock()
            order = {t: n for n, (t, _, _) in enumerate(grew)}
            # Per growing type, by its growth, the latest calls first (early ones may
            # reuse blocks freed before recording): the first outer object, looking at
            # no more than OUTER_LOOKS of them, else the first object. Outer ones win
            # when there are any. No closure may capture a suspect here: a cell that
            # holds one would show up as its referrer.
            # A weak reference or a subclass record says nothing its referent does not.
            buckets = {}
            for obj, i in candidates:
                buckets.setdefault((order[type(obj)], -i), []).append(obj)
            first, outer, looks = {}, {}, {}
            n = 0
            for key in sorted(buckets):
                for obj in buckets[key]:
                    n += 1
                    if not n & 1023:
                        _check(deadline)
                    t = type(obj)
                    if t in outer or looks.get(t, 0) >= OUTER_LOOKS:
                        break
                    if _companion_of(lg, g, obj, new) is not None:
                        continue
                    first.setdefault(t, obj)
                    looks[t] = looks.get(t, 0) + 1
                    refs = lg.referrers(g, obj)
                    if not refs or any(id(p) not in new for p in refs):
                        outer[t] = obj
                        break
                if len(outer) >= MAX_CHAINS:
                    break
            del buckets
            chosen = outer or first
            picked = set()
            for t in sorted(chosen, key=lambda t: order[t])[:MAX_CHAINS]:
                picked.add(t)
                picks.append(chosen[t])
            del first, outer, chosen
            del SUSPECTS[:]
            for obj in picks:
                _check(deadline)
                report['chains'].append(_chain(lg, g, obj, roots))
                SUSPECTS.append(('leaked %s, held by %s' % (
                    _type_name(type(obj)), report['chains'][-1]['root']), obj))
                del report['chains'][-1]['_path']
            seconds['picks'] = clock() - t0
            b = _judge_bound(lg, g, early, new, sizes_before, iterations + 1, remaining,
                             deadline)
            seconds['bound'] = clock() - t0 - seconds['picks']
            report['holders'] = [{'container': h[0], 'size': h[1], 'max': h[2],
                                  'per_call': round(h[3], 3)} for h in b['holders']]
            if b['bounded'] is not None:
                report['bounded'] = {'container': b['bounded'][0], 'size': b['bounded'][1],
                                     'max': b['bounded'][2]}
            # What escapes a bounded container that holds some of the growth.
            if b['escape'] is not None and b['holders']:
                c = _chain(lg, g, b['escape'], roots, b['outside'], b['path'])
                del c['_path']
                report['unbounded'] = c
            report['bound_note'] = b['why']
            del g, b, early, new
            seconds['chains'] = clock() - t0
            report['graph_objects'] = graph_objects
    except _Deadline:
        report['deadline'] = True
    except Exception as e:
        if report['error'] is None:
            report['error'] = '%s: %s' % (type(e).__name__, e)
    finally:
        lg.record(0)
        lg.record_clear()
        del survivors
        if gc_was:
            gc.enable()

    for fd, target in sorted(_open_fds().items()):
        if fd not in fds_before:
            report['new_fds'].append({'fd': fd, 'target': target})
    for th in _threads():
        if th.ident not in threads_before:
            target = getattr(th, '_target', None)
            report['new_threads'].append({
                'name': th.name,
                'target': getattr(target, '__qualname__', None) if target else None})
    for pid, state in sorted(_new_children(children_before, seconds['calls']).items()):
        if pid not in children_before:
            report['new_children'].append({
                'pid': pid, 'state': 'zombie' if state == 'Z' else 'running',
                'command': _command_line(pid)})
    report['native_only'] = bool(counters_failed) and not report['grew'] and \
        not report['sites'] and 'native_bytes' in counters_failed
    # Whether these calls showed the growth at all, for the counters they can see.
    seen = {'py_blocks': report['grew'], 'py_bytes': report['grew'] or report['sites'],
            'gc_objects': report['grew'], 'refs': report['grew'],
            'fds': report['new_fds'], 'threads': report['new_threads'],
            'children': report['new_children']}
    report['growth_seen'] = report['error'] is not None or report['deadline'] or \
        any(c not in seen or seen[c] for c in counters_failed)
    if report['deadline']:
        # Unfinished: what was found may be partial, so it excuses nothing.
        report['bounded'] = None
    if report['deadline'] or report['error'] is not None:
        report['tombstones'] = 0
    state = 'leak' if report['deadline'] else 'bounded' if report['bounded'] else \
        'tombstones' if report['tombstones'] else \
        'leak' if report['growth_seen'] else 'stopped'
    if state != 'leak':
        # The run measures on: the samples must keep nothing alive into its next window
        # (the failing point, the only reader, comes after a leak alone).
        del SUSPECTS[:]
    seconds['total'] = time.perf_counter() - t_start
    return (state, render_text(report), _dumps(report), render_dot(report))


def _chain(lg, g, obj, roots, via=None, tail=None):
    """The referrer chain of obj; with `via`, the one that ends ...via -> tail[0] ... obj
    (tail read forwards, obj last)."""
    if via is None and tail:
        # Held only from C: the chain starts at the new object nobody refers to.
        key, path = None, list(tail)
    elif via is not None:
        if id(via) in roots.kind:
            key, path = id(via), [via]
        else:
            key, path = lg.chain(g, via, roots.kind, SEARCH_LIMIT)
        if key is not False:
            path = list(path) + list(tail)
    else:
        key, path = lg.chain(g, obj, roots.kind, SEARCH_LIMIT)
    entry = {'object': '%s at %#x' % (_type_name(type(obj)), id(obj)),
             'type': _type_name(type(obj)), 'value': _short(obj)}
    if key is False:
        entry.update(root_kind='unknown', root='(search limit reached)', links=[])
    elif key is None:
        entry.update(root_kind='c_reference',
                     root='a reference from outside any Python object '
                          '(a C extension or the interpreter)', links=[])
        if len(path) > 1:
            entry['root'] = '%s held only from outside any Python object' % \
                _type_name(type(path[0]))
    else:
        entry.update(root_kind=roots.kind[key], root=roots.describe(key))
    links = []
    kind = entry['root_kind']
    for parent, child in zip(path, path[1:]):
        links.append((_link(parent, child, kind), child))
        kind = None
    entry['links'] = [{'label': label, 'type': _type_name(type(node))}
                      for label, node in _collapse(links)]
    entry['text'] = ' \u2192 '.join(
        [entry['root']] + ['%s (%s)' % (l['label'], l['type']) for l in entry['links']])
    entry['_path'] = path
    return entry


def _size(n):
    for unit in ('B', 'KiB', 'MiB'):
        if abs(n) < 1024 or unit == 'MiB':
            return ('%d %s' % (n, unit)) if unit == 'B' else ('%.1f %s' % (n, unit))
        n /= 1024.0


def render_text(r):
    k = r['iterations']
    out = []
    if r['bounded']:
        b = r['bounded']
        out.append('  the growth is held by a bounded container: %s (%d of %d entries); '
                   'it stops when the container is full' % (b['container'], b['size'],
                                                             b['max']))
    elif r.get('unbounded'):
        c = r['unbounded']
        out.append('  held outside any bounded container: %s: %s' % (c['object'], c['text']))
    if r.get('tombstones'):
        out.append('  the growth is dead weak references (%d left by %d calls, their referents '
                   'gone), which their holder keeps until it sweeps them: the run measures '
                   'on to its limit and passes only if they are swept' %
                   (r['tombstones'], k - 1))
    if r.get('bound_note') and not r['bounded'] and r.get('holders'):
        out.append('  not bounded: %s' % r['bound_note'])
    if r['grew'] and k <= SHOWN_CALLS:
        out.append('  what grew: new objects still alive after %d more calls, by the call '
                   'that made them:' % k)
        for g in r['grew']:
            out.append('    %-28s %s' % (g['type'], ' '.join('+%d' % c for c in
                                                          g['per_iteration'])))
    elif r['grew']:
        out.append('  what grew: new objects still alive after %d more calls (as many as '
                   'the growth needs to show once), net of those they replaced:' % k)
        for g in r['grew']:
            made = sum(1 for c in g['per_iteration'][:-1] if c)
            out.append('    %-28s +%d, made in %d of the first %d calls' % (
                g['type'], g['net'], made, k - 1))
    if r['sites']:
        out.append('  where it was allocated (tracemalloc, growth over the last %d calls, '
                   'most recent call last):' % r.get('traced_calls', k))
        for s in r['sites']:
            out.append('    +%d blocks, +%s' % (s['count'], _size(s['size'])))
            for f in s['traceback']:
                out.append('      File "%s", line %d' % (f['file'], f['line']))
                if f['code']:
                    out.append('        %s' % f['code'])
    if r['chains']:
        out.append('  why it is still alive (shortest referrer chain to a root):')
        for c in r['chains']:
            out.append('    %s: %s' % (c['object'], c['text']))
    for f in r['new_fds']:
        out.append('  new file descriptor %d -> %s' % (f['fd'], f['target']))
    for t in r['new_threads']:
        out.append('  new thread %r running %s' % (t['name'], t['target'] or '?'))
    for c in r['new_children']:
        out.append('  new child process %d (%s): %s' % (
            c['pid'], 'exited, never waited for' if c['state'] == 'zombie' else 'running',
            c['command']))
    if r['native_only']:
        out.append('  no Python object or allocation site grew: the growth is native '
                   '(malloc outside Python\'s allocator); run with --valgrind for its '
                   'allocation stacks')
    if not r['growth_seen']:
        out.append('  no growth in %d more calls: the growth may have stopped' % k)
    if r['error']:
        out.append('  attribution incomplete: %s' % r['error'])
    if r.get('deadline'):
        out.append('  attribution stopped at its deadline (%g s, --timeout): the leak verdict '
                   'stands; the above is what it found before then' % r['deadline_seconds'])
    return '\n'.join(out) + ('\n' if out else '')


def _dot_id(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _wrap(text, width=32):
    """Splits a label into lines of about width characters, at spaces where it can, so
    that a graph of long names stays narrow enough for a screen."""
    out = []
    for para in text.split('\n'):
        line = ''
        for word in para.split(' '):
            while len(word) > width:
                if line:
                    out.append(line)
                    line = ''
                out.append(word[:width])
                word = word[width:]
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = word
            else:
                line = (line + ' ' + word) if line else word
        out.append(line)
    return '\n'.join(out)


def render_dot(r):
    """Graphviz statements: per sampled chain, the root, each link, and the leaked object
    (type, short value, how many of its type the attributed calls left alive), with the
    top allocation site; top to bottom, labels wrapped, so long chains fit a screen."""
    pid = os.getpid()
    lines = []
    alive = {g['type']: sum(g['per_iteration']) for g in r['grew']}
    site = None
    if r['sites'] and r['sites'][0]['traceback']:
        s, f = r['sites'][0], r['sites'][0]['traceback'][-1]
        site = 'p%d_site' % pid
        lines.append('  %s [label=%s, shape=note, style=filled, fillcolor="#fff4cc"];' % (
            site, _dot_id(_wrap('allocated at %s:%d (+%d blocks, +%s in %d calls)' % (
                os.path.basename(f['file']), f['line'], s['count'], _size(s['size']),
                r['iterations'])) + ('\n' + _wrap(f['code'], 40) if f['code'] else ''))))
    for n, c in enumerate(r['chains']):
        prev = 'p%d_c%d_root' % (pid, n)
        lines.append('  %s [label=%s, shape=box, style=filled, fillcolor="#dde8f5"];' %
                     (prev, _dot_id(_wrap(c['root']))))
        for i, link in enumerate(c['links'][:-1]):
            node = 'p%d_c%d_n%d' % (pid, n, i)
            lines.append('  %s [label=%s];' % (node, _dot_id(_wrap(link['type']))))
            lines.append('  %s -> %s [label=%s];' % (prev, node, _dot_id(_wrap(link['label'], 24))))
            prev = node
        # The leaked object: the chain's last node, or, held from C, the only one.
        leaked = 'p%d_c%d_leak' % (pid, n)
        count = alive.get(c['type'])
        label = c['type'] + ('\n%d made in %d calls, alive' % (count, r['iterations'])
                             if count else '') + '\n' + c['value']
        lines.append('  %s [label=%s, shape=box, style="filled,rounded", '
                     'fillcolor="#f5c6c6", penwidth=2];' % (leaked, _dot_id(_wrap(label))))
        edge = c['links'][-1]['label'] if c['links'] else \
            'held from C (no Python referrer)'
        lines.append('  %s -> %s [label=%s%s];' % (
            prev, leaked, _dot_id(_wrap(edge, 24)), '' if c['links'] else ', style=dashed'))
        if site:
            lines.append('  %s -> %s [style=dotted, arrowhead=none];' % (leaked, site))
    return '\n'.join(lines) + ('\n' if lines else '')
