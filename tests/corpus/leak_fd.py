# expect: leak
# counters: fds
# target: work
# report: new file descriptor
# why: os.open() returns a bare int descriptor that nothing closes when the int is dropped

import os
import resource


def setup():
    # Let the leak run for thousands of iterations before EMFILE turns it into an error.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def work():
    fd = os.open(os.devnull, os.O_RDONLY)
    data = os.read(fd, 16)  # the descriptor is never closed
    return len(data)
