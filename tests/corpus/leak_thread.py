# expect: leak
# counters: threads py_blocks
# target: work
# report: new thread 'Thread-
# why: a background worker started per call that waits forever on an Event nobody sets

import threading

_stop = threading.Event()  # never set


def setup():
    # Small stacks, so that thousands of leaked threads stay cheap.
    threading.stack_size(256 * 1024)


def _watcher():
    _stop.wait()


def work():
    t = threading.Thread(target=_watcher, daemon=True)
    t.start()
    return t.ident
