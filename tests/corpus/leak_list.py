# expect: leak
# counters: py_blocks gc_objects
# target: work
# grows: dict
# root: module 'leak_list' → global _audit_log (list)
# why: an audit log kept in a module-level list that gains one record per call and is never trimmed

import time

_audit_log = []


def work():
    # Parse a request line and remember it "for debugging": the list is never trimmed.
    method, path, proto = "GET /api/items?page=3 HTTP/1.1".split(" ")
    route, _, query = path.partition("?")
    record = {  # leak-site
        "method": method,
        "route": route,
        "params": dict(p.split("=") for p in query.split("&")),
        "proto": proto,
        "at": time.monotonic(),
    }
    _audit_log.append(record)
    return len(record["params"])
