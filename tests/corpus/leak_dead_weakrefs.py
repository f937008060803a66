# expect: leak
# counters: py_blocks
# target: work
# report: never swept
# why: a registry of listeners kept as weak references that nothing ever prunes: each call registers a listener that dies at once, so the list gains one dead weak reference (a tombstone) per call, forever. Growth made only of tombstones is measured on to the limit, and fails there because no sweep took it back
import weakref

_listeners = []


class Listener:
    def notify(self, event):
        return event


def work():
    listener = Listener()
    _listeners.append(weakref.ref(listener))
    return listener.notify(len(_listeners))
