# Fails to import: with --continue-on-collection-errors pytest runs the rest, and so must
# leakgate (this module is an ERROR target of its own).
import module_that_does_not_exist  # noqa: F401


def test_never_collected():
    pass
