# The GDB benchmark's workload: a 10,000-element list to print, and a leak so that
# leakgate run --on-leak=core stops here and leaves a core.
big = ["item %d" % i for i in range(10000)]
_log = []


def work():
    _log.append([len(big)])
