"""The leak checks of samplepkg: each function is one iteration of the gate."""
from samplepkg import _native


def clean():
    """Formats a number through the extension: every reference is released."""
    _native.digits(123456789)


def leaky():
    """The same through the function with the bug: one bytes object lost per call."""
    _native.digits_leaky(123456789)
