"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

import sys
import time


class Progress:
    def __init__(self, stream=sys.stderr):
        self._stream = stream
        self._enabled = stream.isatty()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, what, done, total):
        if not self._enabled or (time.monotonic() - self._last_draw < 0.1 and done < total):
            return
        self._last_draw = time.monotonic()
        width = 40
        filled = int(width * done / total) if total else width
        self._stream.write(f"\r{what:>24} [{'=' * filled}{' ' * (width - filled)}] {done}/{total} entries")
        self._stream.flush()
        self._drawn = True

    def finish(self):
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False
