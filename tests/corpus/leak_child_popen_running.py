# expect: leak
# counters: children
# target: work
# report: new child process
# report: (running): /bin/cat
# why: each call starts a helper process that keeps running (cat, reading a pipe nobody closes) and is never stopped or waited for; they end with the worker
import subprocess

_helpers = []


def work():
    _helpers.append(subprocess.Popen(["/bin/cat"], stdin=subprocess.PIPE))
