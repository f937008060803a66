# expect: pass
# counters: children
# target: work
# why: each call starts a process and waits for it: nothing stays behind
import subprocess


def work():
    return subprocess.run(["/bin/true"], check=True).returncode
