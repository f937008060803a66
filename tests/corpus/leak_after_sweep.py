# expect: leak
# counters: py_blocks
# target: work
# report: the sweep does not take back
# why: a registry of listeners kept as weak references and pruned every 200 registrations (a sawtooth of tombstones, as sqlite3's cursors), and a leak that starts only after its first sweep: from then on every call keeps an object in a list nobody empties. The verdict fails the rising edge at call 150, attribution finds only dead weak references and the run measures on to its limit for their sweep, which comes near call 190; the calls after it are attributed again at the limit, and what they leave alive is more than tombstones
import weakref

_listeners, _kept, _swept = [], [], [0]


class Listener:
    pass


def work():
    listener = Listener()
    _listeners.append(weakref.ref(listener))
    if len(_listeners) >= 200:
        _listeners[:] = [r for r in _listeners if r() is not None]
        _swept[0] += 1
    if _swept[0]:
        _kept.append(object())
