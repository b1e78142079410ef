"""Read Baler-compressed ROOT files with uproot.

    import baler_root
    import uproot
    uproot.open("events.baler.root")["Events"].arrays()

Importing this package teaches uproot (5.x) to decode the Baler blocks that the ROOT plugin
libBalerROOT writes (magic ``BA\\x01`` in ROOT's block header), with the same Rust decoder the
plugin uses. Without the import, uproot stops at the first Baler basket with
``ValueError: unrecognized compression algorithm: b'BA'``.

Blocks of the ``ae:`` codec need their model: the one the ROOT file stores (key
``baler_model_<id>``), else its ``.balm`` file, looked up by id in the folders of
``BALER_MODEL_PATH``. A member of an object model (a collection's branch coded with the decoded
values of other members of the same entries) is decoded with those members' baskets, which
baler_root reads through uproot itself from the same tree (and caches, bounded).

A block that cannot be decoded raises :class:`BalerDecodeError` (a ``ValueError``) naming the
branch, the basket's entries, the file and the cause; no value of that basket is returned.
"""

from baler_root._codec import FORMAT_VERSION
from baler_root._uproot import Baler, BalerDecodeError, install

__all__ = ["Baler", "BalerDecodeError", "FORMAT_VERSION", "install"]

# Tracebacks and reprs name the classes where users import them from.
Baler.__module__ = BalerDecodeError.__module__ = __name__

install()
