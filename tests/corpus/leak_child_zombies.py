# expect: leak
# counters: children
# target: work
# report: new child process
# report: exited, never waited for): [true]
# why: each call starts a process and never waits for it: every exited child stays a zombie, held in the process table until its parent reaps it
import os


def work():
    os.posix_spawn("/bin/true", ["true"], {})
