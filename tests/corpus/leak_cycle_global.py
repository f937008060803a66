# expect: leak
# counters: py_blocks gc_objects
# target: work
# grows: leak_cycle_global.Session
# root: class 'leak_cycle_global.Session' → .registry (list)
# why: objects in reference cycles kept alive through a class attribute, so the GC can never free them


class Session:
    registry = []  # class attribute: lives as long as the class does

    def __init__(self, user):
        self.user = user
        self.handler = Handler(self)  # Session <-> Handler cycle
        Session.registry.append(self)


class Handler:
    def __init__(self, session):
        self.session = session
        self.buffer = []


def work():
    s = Session("user-%d" % len(Session.registry))  # leak-site
    s.handler.buffer.append(s.user.upper())
    return s.user
