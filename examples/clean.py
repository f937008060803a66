# expect: pass
# counters: py_blocks
# target: handle_request
# why: a request handler that parses, validates and answers, keeping nothing between calls
#
# Run it:  leakgate run examples/clean.py:handle_request     (exit 0: no leak)

import json

BODY = '{"user": "ada", "items": [{"sku": "A1", "qty": 2}, {"sku": "B7", "qty": 1}]}'
PRICES = {"A1": 4.50, "B7": 12.00}


def handle_request():
    order = json.loads(BODY)
    total = sum(PRICES[item["sku"]] * item["qty"] for item in order["items"])
    # Everything built here is garbage once the function returns: no growth.
    return json.dumps({"user": order["user"], "total": round(total, 2)})
