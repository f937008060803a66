# expect: pass
# counters: native_bytes
# target: work
# why: random reads from a file-backed sqlite3 database: its page cache (malloc'd by the sqlite library, so only native_bytes sees it) fills as more pages get touched, fast at first and ever slower, and stops once the file is cached: growth that decelerates to zero
import os
import random
import sqlite3
import tempfile

_ROWS = 20000
_fd, _path = tempfile.mkstemp(suffix=".db")
os.close(_fd)
with sqlite3.connect(_path) as _db:
    _db.execute("create table item (id integer primary key, body text)")
    _db.executemany("insert into item values (?, ?)",
                    ((i, "%06d" % i * 30) for i in range(_ROWS)))
_db.close()
_conn = sqlite3.connect(_path)
_conn.execute("pragma cache_size = -16000")  # 16 MB: room for the whole file
os.unlink(_path)  # the open connection keeps it; nothing is left behind
_cur = _conn.cursor()  # one cursor: no per-cursor weak references
_rng = random.Random(1234)


def work():
    total = 0
    for _ in range(10):
        _cur.execute("select body from item where id = ?", (_rng.randrange(_ROWS),))
        total += len(_cur.fetchone()[0])
    return total
