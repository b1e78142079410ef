"""Counts in the summary's sentences, so that one lost branch does not read as "1 branches"."""


def count(n, noun, plural):
    """`n` and the noun in the number it takes: "1 branch", "3 branches"."""
    return f"{n} {noun if n == 1 else plural}"


def branches(n):
    return count(n, "branch", "branches")


_PLURAL_VERBS = {"holds": "hold", "has": "have", "is": "are"}


def for_many(phrase, n):
    """A phrase about one branch ("holds X", "has sub-branches") said of `n`: its first word, a
    verb, agrees with the count."""
    verb, _, rest = phrase.partition(" ")
    return f"{_PLURAL_VERBS.get(verb, verb) if n != 1 else verb} {rest}".rstrip()
