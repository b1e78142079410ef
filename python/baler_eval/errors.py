"""The one exception type baler eval reports as a one-line error."""


class EvalError(Exception):
    """A problem with the input or the environment, reported as `baler: error: ...`."""
