"""lgvenvpkg: a package that leakgate's tests install only into a virtual environment,
so that importing it shows the workload runs with that environment's site-packages."""

_kept = []


def leak():
    """Keeps one new object per call: a leak."""
    _kept.append(object())


def clean():
    """Builds garbage and keeps nothing."""
    return sorted(str(i) for i in range(20))
