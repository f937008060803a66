# worker/attribute.py: the Python half of attribution, compiled into the worker
# (attribute.c holds the C half). After a leak verdict it re-runs the workload a few times with
# tracemalloc and the allocation record on, and answers: what grew, where it was
# allocated, why it is still alive. Returns (state, text, json, dot), state being 'leak',
# 'bounded' (a container with a maximum size holds the growth) or 'stopped' (these calls
# did not grow).
import gc, json, os, sys, threading, time, tracemalloc, linecache

FRAMES = 25          # traceback depth tracemalloc keeps
MAX_TYPES = 8        # growing types listed
MAX_SITES = 5        # allocation sites listed
MAX_CHAINS = 3       # referrer chains searched
SEARCH_LIMIT = 1000000

# The sampled leaked objects of the last attribution, with a label each, for the GDB
# failing point (lg_worker_suspects): (label, object).
SUSPECTS = []


def _type_name(t):
    mod = getattr(t, '__module__', None)
    name = getattr(t, '__qualname__', t.__name__)
    return name if mod in (None, 'builtins') else '%s.%s' % (mod, name)


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


class _Roots:
    """What counts as a root, keyed by id: module dicts, class dicts, thread frames."""

    def __init__(self, lg, types):
        self.by_id = {}
        self.kind = {}
        for name, mod in list(sys.modules.items()):
            d = getattr(mod, '__dict__', None)
            if type(d) is dict:
                self._add(d, 'module', "module '%s'" % name)
        for t in types:
            d = lg.type_dict(t)
            if d is not None:
                self._add(d, 'class', "class '%s'" % _type_name(t))
        me = threading.get_ident()
        names = {th.ident: th.name for th in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            f = frame
            while f is not None:
                self._add(f, 'thread', "thread '%s' in %s (%s:%d)" % (
                    names.get(ident, ident), f.f_code.co_name, f.f_code.co_filename,
                    f.f_lineno))
                f = f.f_back

    def _add(self, obj, kind, desc):
        self.by_id.setdefault(id(obj), desc)
        self.kind.setdefault(id(obj), kind)


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


def _bounded(path):
    """A container on the path that can hold only so many entries: (description, size,
    maximum), or None. Growth through it stops once it is full, whatever it holds."""
    for obj in path:
        name = type(obj).__name__
        if name == '_lru_cache_wrapper' and hasattr(obj, 'cache_info'):
            info = obj.cache_info()
            if info.maxsize is not None:
                return ('functools.lru_cache %s' % getattr(obj, '__qualname__', '?'),
                        info.currsize, info.maxsize)
        if name == 'deque' and getattr(obj, 'maxlen', None) is not None:
            return ('collections.deque', len(obj), obj.maxlen)
    return None


# Frames of leakgate itself and of the test runner that calls the workload (--pytest):
# they lead to every allocation and say nothing about any.
_RUNNER_DIRS = tuple('%s%s%s' % (os.sep, d, os.sep) for d in ('_pytest', 'pluggy'))


def _runner_frame(filename):
    return filename.startswith('<leakgate') or any(d in filename for d in _RUNNER_DIRS)


def _filter_snapshot(snap):
    return snap.filter_traces((
        tracemalloc.Filter(False, '<leakgate*'),
        # What clearing the standard library's caches between calls allocates (3.8's
        # linecache.clearcache() rebinds a new dict) belongs to leakgate, not the workload.
        tracemalloc.Filter(False, '<leakgate>', all_frames=True),
        tracemalloc.Filter(False, tracemalloc.__file__, all_frames=True),
    ))


def attribute(lg, call, clear_caches, iterations, counters_failed):
    """Runs `iterations` calls with attribution on; `call` raises on a workload error."""
    gc_was = gc.isenabled()
    traced_before = tracemalloc.is_tracing()
    fds_before = _open_fds()
    threads_before = {th.ident for th in threading.enumerate()}
    report = {'iterations': iterations, 'grew': [], 'sites': [], 'chains': [],
              'bounded': None, 'new_fds': [], 'new_threads': [], 'error': None,
              'graph_objects': 0}
    survivors = []
    clock = time.perf_counter
    seconds = report['seconds'] = {'calls': 0.0, 'census': 0.0, 'graph': 0.0,
                                   'chains': 0.0}
    t0 = clock()
    try:
        if not traced_before:
            tracemalloc.start(FRAMES)
        # One call to settle tracemalloc's own first allocations, then the baseline.
        call()
        clear_caches()
        gc.collect()
        before = _filter_snapshot(tracemalloc.take_snapshot())
        gc.collect()       # the snapshot refilled the free lists with unrecorded blocks
        for i in range(1, iterations + 1):
            lg.record(i)
            call()
            lg.record(0)
            clear_caches()
            gc.collect()   # also empties the free lists, so leaked objects are new blocks
        after = _filter_snapshot(tracemalloc.take_snapshot())
        # A site grows by blocks or, for a container's item array, by bytes alone.
        stats = [s for s in after.compare_to(before, 'traceback')
                 if s.size_diff > 0 and s.count_diff >= 0]
        stats.sort(key=lambda s: (s.count_diff, s.size_diff), reverse=True)
        for s in stats:
            frames = [{'file': f.filename, 'line': f.lineno,
                       'code': linecache.getline(f.filename, f.lineno).strip()}
                      for f in s.traceback if not _runner_frame(f.filename)]
            if frames and len(report['sites']) < MAX_SITES:
                report['sites'].append({'count': s.count_diff, 'size': s.size_diff,
                                        'traceback': frames})
        del before, after, stats
    except BaseException as e:
        lg.record(0)
        report['error'] = '%s: %s' % (type(e).__name__, e)
    finally:
        if not traced_before:
            tracemalloc.stop()

    seconds['calls'] = clock() - t0
    t0 = clock()
    gc.disable()
    try:
        types = _all_types()
        survivors = lg.survivors(types)
        lg.record_clear()
        by_type = {}
        for obj, i in survivors:
            per = by_type.setdefault(type(obj), [0] * iterations)
            per[i - 1] += 1
        # A type grew when objects made in most calls (the last aside: it may
        # legitimately keep its latest result) are still alive: more than half of them.
        need = (iterations - 1) // 2 + 1
        grew = [(t, per) for t, per in by_type.items()
                if sum(1 for c in per[:-1] if c) >= need]
        grew.sort(key=lambda tp: sum(tp[1]), reverse=True)
        report['grew'] = [{'type': _type_name(t), 'per_iteration': per}
                          for t, per in grew[:MAX_TYPES]]

        # Suspects: objects of the growing types made before the last call, the
        # outermost ones only when there are any (no other new object refers to them: the
        # record, not its fields: an object that something older holds, or nothing
        # traced holds), one per type, largest growth first.
        growing = {t for t, _ in grew}
        candidates = [(obj, i) for obj, i in survivors
                      if type(obj) in growing and i < iterations]
        picks = []
        seconds['census'] = clock() - t0
        t0 = clock()
        if candidates:
            roots = _Roots(lg, types)
            objects = gc.get_objects()
            graph_objects = len(objects)
            g = lg.graph(objects, [survivors, candidates, picks, objects, types,
                                   roots.by_id, roots.kind, by_type, grew] +
                         survivors + candidates + grew)
            del objects
            new = {id(obj) for obj, _ in survivors}
            outer = []
            for obj, i in candidates:
                refs = lg.referrers(g, obj)
                if not refs or any(id(p) not in new for p in refs):
                    outer.append((obj, i))
            seconds['graph'] = clock() - t0
            t0 = clock()
            order = {t: n for n, (t, _) in enumerate(grew)}
            # The latest calls first: early ones may reuse blocks freed before recording.
            # No closure may capture a suspect here: a cell that holds one would show
            # up as its referrer.
            picked = set()
            for obj, i in sorted(outer or candidates,
                                 key=lambda c: (order[type(c[0])], -c[1])):
                if len(picks) < MAX_CHAINS and type(obj) not in picked:
                    picked.add(type(obj))
                    picks.append(obj)
            bounded_all = True
            del SUSPECTS[:]
            for obj in picks:
                report['chains'].append(_chain(lg, g, obj, roots))
                SUSPECTS.append(('leaked %s, held by %s' % (
                    _type_name(type(obj)), report['chains'][-1]['root']), obj))
                b = _bounded(report['chains'][-1].pop('_path'))
                if b is None:
                    bounded_all = False
                elif report['bounded'] is None:
                    report['bounded'] = {'container': b[0], 'size': b[1], 'max': b[2]}
            if not bounded_all:
                report['bounded'] = None
            del g
            seconds['chains'] = clock() - t0
            report['graph_objects'] = graph_objects
    except BaseException as e:
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
    for th in threading.enumerate():
        if th.ident not in threads_before:
            target = getattr(th, '_target', None)
            report['new_threads'].append({
                'name': th.name,
                'target': getattr(target, '__qualname__', None) if target else None})
    report['native_only'] = bool(counters_failed) and not report['grew'] and \
        not report['sites'] and 'native_bytes' in counters_failed
    # Whether these calls showed the growth at all, for the counters they can see.
    seen = {'py_blocks': report['grew'], 'py_bytes': report['grew'] or report['sites'],
            'gc_objects': report['grew'], 'refs': report['grew'],
            'fds': report['new_fds'], 'threads': report['new_threads']}
    report['growth_seen'] = report['error'] is not None or \
        any(c not in seen or seen[c] for c in counters_failed)
    state = 'bounded' if report['bounded'] else \
        'leak' if report['growth_seen'] else 'stopped'
    return (state, render_text(report), json.dumps(report), render_dot(report))


def _chain(lg, g, obj, roots):
    key, path = lg.chain(g, obj, roots.by_id, SEARCH_LIMIT)
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
        entry.update(root_kind=roots.kind[key], root=roots.by_id[key])
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
    if r['grew']:
        out.append('  what grew: new objects still alive after %d more calls, by the call '
                   'that made them:' % k)
        for g in r['grew']:
            out.append('    %-28s %s' % (g['type'], ' '.join('+%d' % c for c in
                                                          g['per_iteration'])))
    if r['sites']:
        out.append('  where it was allocated (tracemalloc, growth over %d calls, most '
                   'recent call last):' % k)
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
    if r['native_only']:
        out.append('  no Python object or allocation site grew: the growth is native '
                   '(malloc outside Python\'s allocator); run with --valgrind for its '
                   'allocation stacks')
    if not r['growth_seen']:
        out.append('  no growth in %d more calls: the growth may have stopped' % k)
    if r['error']:
        out.append('  attribution incomplete: %s' % r['error'])
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
