# expect: pass
# counters: py_blocks
# target: work
# why: JSON round-trips of a nested document, with nothing kept between calls

import json

_doc = {
    "id": 1234,
    "name": "widget",
    "tags": ["a", "b", "c"],
    "price": 9.95,
    "parts": [{"sku": "p-%d" % i, "qty": i, "ok": i % 2 == 0} for i in range(10)],
    "meta": {"owner": None, "nested": {"depth": [1, [2, [3, [4]]]]}},
}


def work():
    text = json.dumps(_doc, sort_keys=True)
    back = json.loads(text)
    assert back["parts"][3]["sku"] == "p-3"
    return len(text)
