# expect: pass
# counters: py_blocks
# target: work
# report: swept: by iteration
# why: one long-lived sqlite3 connection, one parameterised query per call: the connection keeps a weak reference per cursor and prunes them every 200 cursors, a sawtooth flat over thousands of calls. Its rising edge (200 calls) is longer than any span the defaults can judge, so the verdict fails it at call 150; attribution finds that all that grew is dead weak references (tombstones), the run measures on to its limit and passes once the prune takes them back
import itertools
import sqlite3

_calls = itertools.count()
_conn = sqlite3.connect(":memory:")
_conn.execute("create table item (id integer primary key, name text)")
_conn.executemany("insert into item values (?, ?)", [(i, "item-%d" % i) for i in range(100)])


def work():
    row = _conn.execute("select name from item where id = ?", (next(_calls) % 100,)).fetchone()
    return row[0]
