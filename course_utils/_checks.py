"""Argument checks shared by several course_utils modules (private)."""


def positive_int(value, what: str) -> int:
    """Return value if it is an int >= 1 (bools refused), else a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} expected a positive int, got {value!r}")
    return value
