# expect: pass
# counters: py_blocks gc_objects
# target: work
# why: a tree with parent back-pointers built per call: reference cycles that become garbage


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent  # child -> parent back-pointer: a cycle
        self.children = []
        if parent is not None:
            parent.children.append(self)


def work():
    root = Node("root")
    for i in range(10):
        branch = Node("b%d" % i, root)
        for j in range(5):
            Node("l%d" % j, branch)
    return len(root.children)
