# expect: pass
# counters: py_blocks
# target: work
# why: a module dict cache keyed by call_count % 30: fills during the first 30 calls, then only hits

import itertools

_calls = itertools.count()
_cache = {}


def _render(key):
    try:
        return _cache[key]
    except KeyError:
        html = "<li class=\"row-%d\">%s</li>" % (key, "x" * key)
        _cache[key] = html
        return html


def work():
    return len(_render(next(_calls) % 30))
