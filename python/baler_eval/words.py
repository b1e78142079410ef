"""Counts in the summary's sentences, so that one lost branch does not read as "1 branches"."""


def count(n, noun, plural):
    """`n` and the noun in the number it takes: "1 branch", "3 branches"."""
    return f"{n} {noun if n == 1 else plural}"


def branches(n):
    return count(n, "branch", "branches")


def are(n):
    """The verb after a count of `n`."""
    return "is" if n == 1 else "are"
