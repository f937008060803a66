# expect: leak
# counters: py_blocks
# target: handle_request
# why: a module-level list that remembers every request "for debugging" and is never trimmed
#
# Run it:  leakgate run examples/leaky_list.py:handle_request   (exit 1: py_blocks grows)
# Fix it:  keep a bounded history, e.g. collections.deque(maxlen=100).

import json

BODY = '{"user": "ada", "items": [{"sku": "A1", "qty": 2}]}'

recent_requests = []  # grows by one entry per call, forever


def handle_request():
    order = json.loads(BODY)
    recent_requests.append(order)  # the leak: nothing ever removes entries
    return len(order["items"])
