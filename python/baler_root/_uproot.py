"""The hook into uproot's decompression.

uproot dispatches on the 2-byte magic of each ROOT block header inside one function,
``uproot.compression.decompress``, with no registry of algorithms; every reader (TBasket, TKey,
RNTuple) calls it through the module attribute. So :func:`install` replaces that attribute with
:func:`_decompress`, which decodes a basket that has Baler blocks and hands everything else
to uproot's own function unchanged. To name the branch when a block is bad, it also wraps
``Model_TBasket.read_members``, the one place that knows which basket is being decompressed.
Both are checked against the signatures this module was written for before anything is replaced.
Finally it adds Baler's algorithm code to ``uproot.compression.algorithm_codes``, so that a
branch's ``compression`` property says Baler(level) instead of raising.
"""

import base64
import bisect
import inspect
import os
import pathlib
import struct
import threading
import warnings

import numpy
import uproot
import uproot.compression
import uproot.models.TBasket
import uproot.source.chunk

from baler_root import _codec

# ROOT's block header (root-plugin/src/RootBlockHeader.h): magic "BA", method 1, then the payload
# and decoded sizes as little-endian 24-bit integers.
_HEADER_SIZE = 9
_BALER_MAGIC = b"BA"
_BALER_METHOD = 1
# The block magics uproot's own decompress handles (uproot/compression.py).
_ROOT_ALGORITHMS = {b"ZL": "zlib", b"XZ": "lzma", b"L4": "lz4", b"ZS": "zstd", b"CS": "old"}
_ROOT_MAGICS = tuple(_ROOT_ALGORITHMS)

# Baler::kAlgorithm (root-plugin/include/Baler/Baler.h): fCompress = 42 * 100 + level.
_BALER_ALGORITHM = 42

# The start of a TKey: fNbytes, fVersion, fObjlen, fDatime, fKeylen, fCycle (big-endian).
_KEY_HEAD = struct.Struct(">ihiIhh")

_DECOMPRESS_PARAMETERS = ["chunk", "cursor", "context", "compressed_bytes", "uncompressed_bytes", "block_info"]
_READ_MEMBERS_PARAMETERS = ["self", "chunk", "cursor", "context", "file"]


class BalerDecodeError(ValueError):
    """A Baler block of a basket cannot be decoded: the file is truncated or damaged, or it was
    written by a newer Baler. ``where`` names the basket (branch, entries) when uproot's context
    tells it, ``cause`` says what is wrong. ``in_baler_block`` is False for damage found before any
    Baler block (a block header that is neither Baler's nor ROOT's), which a file without Baler
    blocks may have too."""

    def __init__(self, cause, file_path, where=None, in_baler_block=True):
        self.cause = cause
        self.file_path = file_path
        self.where = where
        self.in_baler_block = in_baler_block
        location = f"{where} of file {file_path}" if where else f"file {file_path}"
        what = "decode a Baler block in" if in_baler_block else "decompress"
        super().__init__(f"cannot {what} {location}: {cause}")


class Baler(uproot.compression.Compression):
    """Baler as a branch's compression setting (``branch.compression``): level N < 99 is bits:N on
    float and double branches, 99 lossless. uproot reads Baler blocks but cannot write them."""

    name = "Baler"

    @property
    def level(self):
        return self._level

    @level.setter
    def level(self, value):
        self._level = int(value)

    def compress(self, data):
        raise NotImplementedError(
            "uproot cannot write Baler blocks: write with ROOT and libBalerROOT (Baler::Settings), "
            "or rewrite a finished file with `baler compress`"
        )


def _block_header(header):
    """(magic, method, payload bytes, decoded bytes) of a block header's 9 bytes."""
    def le24(at):
        return int(header[at]) | int(header[at + 1]) << 8 | int(header[at + 2]) << 16
    return bytes(header[:2]), int(header[2]), le24(3), le24(6)


def _block_magics(chunk, cursor, context, compressed_bytes):
    """The 2-byte magics of an object's blocks, read from their headers alone (no decoding);
    the walk stops where a header would not fit."""
    magics = []
    offset = 0
    while offset + _HEADER_SIZE <= compressed_bytes:
        header = chunk.get(cursor.index + offset, cursor.index + offset + _HEADER_SIZE, cursor, context)
        magic, _, payload_size, _ = _block_header(header)
        magics.append(magic)
        offset += _HEADER_SIZE + payload_size
    return magics


def _decode_blocks(chunk, cursor, context, compressed_bytes, uncompressed_bytes, block_info, has_baler_block):
    """A basket with Baler blocks decoded into one new array: Baler's blocks here, any other
    ROOT block by uproot, block by block, as ROOT itself reads them. (The plugin writes one
    algorithm per basket, but from 5c4232c to e5b5964 it chose per block: 'ZS BA'.) A header that
    is neither Baler's nor ROOT's means the basket is damaged (`has_baler_block`: its headers name
    a Baler block)."""
    file_path = chunk.source.file_path
    output = numpy.empty(uncompressed_bytes, dtype=numpy.uint8)
    start = cursor.copy()
    filled = 0
    block_number = 0
    while cursor.displacement(start) < compressed_bytes:
        block_number += 1
        remaining = compressed_bytes - cursor.displacement(start)
        if remaining < _HEADER_SIZE:
            raise BalerDecodeError(f"the basket ends inside a block header ({remaining} of 9 bytes)", file_path)
        header = cursor.bytes(chunk, _HEADER_SIZE, context, move=False)
        magic, method, payload_size, decoded_size = _block_header(header)
        if magic != _BALER_MAGIC and magic not in _ROOT_MAGICS:
            damaged = "this header" if block_number == 1 else "the previous block's size or this header"
            what = "the basket" if getattr(_reading, "basket", None) is not None else "the object"
            raise BalerDecodeError(
                f"block {block_number} of {what} starts with {magic!r}, neither a Baler nor a ROOT block "
                f"header: {damaged} is damaged",
                file_path,
                in_baler_block=has_baler_block,
            )
        if decoded_size > uncompressed_bytes - filled:
            raise BalerDecodeError(
                f"block {block_number} decodes to {decoded_size} bytes but the basket has only "
                f"{uncompressed_bytes - filled} of its {uncompressed_bytes} bytes left",
                file_path,
            )
        if _HEADER_SIZE + payload_size > remaining:
            raise BalerDecodeError(
                f"block {block_number} claims {payload_size} bytes but the basket has only "
                f"{remaining - _HEADER_SIZE} left (truncated)",
                file_path,
            )
        if magic != _BALER_MAGIC:
            block = _uproot_decompress(chunk, cursor, context, _HEADER_SIZE + payload_size, decoded_size, block_info)
            output[filled : filled + decoded_size] = block.raw_data
            filled += decoded_size
            continue
        if method != _BALER_METHOD:
            raise BalerDecodeError(
                f"unknown Baler block method {method} (this baler_root reads method {_BALER_METHOD}): "
                "written by a newer Baler? Upgrade baler_root",
                file_path,
            )
        cursor.skip(_HEADER_SIZE)
        payload = cursor.bytes(chunk, payload_size, context)
        out = output[filled : filled + decoded_size]
        try:
            needs = _codec.block_context(bytes(payload))
            if needs is not None and needs["model"] is not None:
                # an object model's member, coded with the decoded values of its context members'
                # baskets of the same entries (and its entry offsets maybe derived from another's)
                model = _model(needs["model"], file_path)
                member, first, entries = _member_basket(needs, file_path)
                offsets = _carrier(needs["offsets_from"], first, entries, member, file_path) if needs["offsets_from"] else None
                context = [_carrier(name, first, entries, member, file_path) for name in needs["context"]]
                try:
                    _codec.decode_block(payload, out, model, offsets=offsets, context=context, member=member,
                                        first_entry=needs["first_entry"], entries=entries)
                except _codec.BlockError as err:
                    raise type(err)(
                        f"{err} (member {member} of object model {needs['model']}, decoded with the values of "
                        f"{', '.join(needs['context'])} for entries {first}+{entries})"
                    ) from None
            elif needs is not None and needs["offsets_from"]:
                # a member whose entry offsets derive from its model's first carrier's basket
                member, first, entries = _member_basket(needs, file_path)
                _codec.decode_block(payload, out, offsets=_carrier(needs["offsets_from"], first, entries, member, file_path))
            else:
                try:
                    _codec.decode_block(payload, out)
                except _codec.MissingModelError:
                    _codec.decode_block(payload, out, _model(_codec.block_model_id(bytes(payload)), file_path))
            if decoded_size == uncompressed_bytes:
                _keep_carrier(payload, out)
        except _codec.UnsupportedBlockError as err:
            raise BalerDecodeError(f"{err}; written by a newer Baler? Upgrade baler_root", file_path) from None
        except _codec.BlockError as err:
            raise BalerDecodeError(str(err), file_path) from None
        if block_info is not None:
            block_info.append(("Baler", payload_size, decoded_size))
        filled += decoded_size
    if filled != uncompressed_bytes:
        raise BalerDecodeError(
            f"the blocks decode to {filled} bytes but the basket's key says {uncompressed_bytes}", file_path
        )
    return uproot.source.chunk.Chunk.wrap(chunk.source, output)


# How deep one member's context may go: a member's context basket may itself derive its entry
# offsets from another basket (two levels, as the ROOT plugin fetches); a deeper chain, or one that
# comes back to a basket being read, is refused rather than followed.
_MAX_CONTEXT_DEPTH = 4


class _ContextCache:
    """Decoded values of carrier baskets (ContextBasket), by file, tree, branch and entry range:
    a collection's members use the same baskets of their carriers. Bounded, as the ROOT plugin's
    (ObjectContext.cxx): the oldest go first past 4096 baskets or 64 MiB of values."""

    MAX_ENTRIES = 4096
    MAX_BYTES = 64 << 20

    def __init__(self):
        self._values = {}  # insertion order: the oldest first
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._values.get(key)

    def put(self, key, values):
        with self._lock:
            self._erase(key)
            self._values[key] = values
            self._bytes += values.nbytes
            while len(self._values) > self.MAX_ENTRIES or self._bytes > self.MAX_BYTES:
                self._erase(next(iter(self._values)))

    def _erase(self, key):
        values = self._values.pop(key, None)
        if values is not None:
            self._bytes -= values.nbytes

    def clear(self):
        with self._lock:
            self._values.clear()
            self._bytes = 0


_context_cache = _ContextCache()

# The branches (file, tree, branch) that members' blocks have named as their context or offsets
# source in this process: uproot's own decoding of their baskets is kept in the cache, so that
# the members read next find their context without reading and decoding it again. Bounded: past
# 4096 names it starts again (names are learnt anew from the next members' blocks).
_context_branches = set()
_CONTEXT_BRANCHES_KEPT = 4096

# How many context baskets _carrier has read and decoded itself in this process (a diagnostic for
# the tests, as the plugin's context_baskets_fetched).
_context_baskets_fetched = 0


def _tree_key(branch):
    """(file path, file UUID, tree path with its cycle): where a branch's baskets are, for the
    cache keys (uproot's own tree.cache_key formats the UUID anew each time: 8x slower)."""
    file = branch.file
    return (file.file_path, file.fUUID, branch.tree.object_path)


def _basket_key(where, branch, index):
    """The cache key of basket `index` of `branch` in the tree `where` names: its entries, and
    where it is stored. A file's path, UUID and tree cycle alone named the baskets of a file
    written again in place, or copied over, the same as the old one's (a read sweep)."""
    start, stop = branch.basket_entry_start_stop(index)
    return (*where, branch.name, int(start), int(stop - start), int(branch.member("fBasketSeek")[index]),
            int(branch.member("fBasketBytes")[index]))


def _basket_entries(basket):
    """(first entry, entries) of the basket being read."""
    start, stop = basket.parent.basket_entry_start_stop(basket.basket_num)
    return int(start), int(stop - start)


def _member_basket(needs, file_path):
    """(branch name, first entry, entries) of the basket being read, checked against what its
    block records (`needs`): a block that records another number of entries, or another member, is
    damaged or was moved into another basket. Its first entry may differ: a fast merge (hadd -fk)
    moves every basket of a tree by the same number of entries, and the context is found at the
    basket's own entries (a context that is not the writer's fails the block's checksum)."""
    basket = getattr(_reading, "basket", None)
    if basket is None or basket.basket_num is None:
        raise BalerDecodeError(
            "the block needs other branches' baskets (object model), and the basket being read names no "
            "tree to find them in",
            file_path,
        )
    name = basket.parent.name
    first, entries = _basket_entries(basket)
    if (needs["member"] is not None and needs["member"] != name) or needs["entries"] != entries:
        member = needs["member"] if needs["member"] is not None else "with derived entry offsets"
        raise BalerDecodeError(
            f"the block of member {member}, entries {needs['first_entry']}+{needs['entries']}, is in the basket "
            f"of branch {name}, entries {first}+{entries}: damaged",
            file_path,
        )
    return name, first, entries


def _branch_named(tree, name):
    """The branch the plugin's TTree::GetBranch(name) finds: one of the tree itself, else the first
    sub-branch of that name (the member `Mu.px` of a split vector<struct> `Mu`), or None. Blocks
    name their context by ROOT's name, not by uproot's path to it (`Mu/Mu.px`)."""
    try:
        return tree["/" + name]  # a leading "/": a branch of the tree itself, looked up by name
    except uproot.KeyInFileError:
        return next((branch for branch in tree.itervalues(recursive=True) if branch.name == name), None)


def _carrier(name, first, entries, member, file_path):
    """The decoded values (ContextBasket) of branch `name`'s basket of entries first+entries in the
    tree being read, as the context of `member`'s basket: cached, or read through uproot (and so
    decoded here, with whatever it needs in turn, at most _MAX_CONTEXT_DEPTH levels deep). It must
    be one Baler block holding the whole basket, as the writer codes a member only with such."""
    basket = _reading.basket  # set: _member_basket checked it
    tree = basket.parent.tree
    where = _tree_key(basket.parent)
    if (*where, name) not in _context_branches:
        if len(_context_branches) >= _CONTEXT_BRANCHES_KEPT:
            _context_branches.clear()
        _context_branches.add((*where, name))
    what = f"{member}'s context: branch {name}'s basket of entries {first}+{entries}"
    if name == member:
        raise BalerDecodeError(f"{what}: the branch itself (damaged block)", file_path)
    chain = getattr(_reading, "chain", ())
    if (name, first, entries) in chain or len(chain) >= _MAX_CONTEXT_DEPTH:
        path = " -> ".join(f"{n} {f}+{e}" for n, f, e in (*chain, (name, first, entries)))
        raise BalerDecodeError(f"{what}: the context of the context goes too deep or in a circle ({path})", file_path)
    source = _branch_named(tree, name)
    if source is None:
        raise BalerDecodeError(f"{what}: tree {tree.name!r} has no such branch", file_path)
    starts = source.entry_offsets
    k = bisect.bisect_left(starts, first)
    if k >= source.num_baskets or starts[k] != first or starts[k + 1] != first + entries:
        raise BalerDecodeError(f"{what}: {name} has no basket of these entries", file_path)
    key = _basket_key(where, source, k)
    values = _context_cache.get(key)
    if values is not None:
        return values
    block = _stored_block(source, k, what, (*chain, (member, first, entries)), file_path)
    if block is None:  # anything else goes through uproot's reading, and so through _decompress
        outer_capture = getattr(_reading, "capture", None)
        _reading.capture = captured = []
        _reading.chain = (*chain, (member, first, entries))
        try:
            read = source.basket(k)
        except BalerDecodeError as err:
            raise BalerDecodeError(f"{what} cannot be decoded: {err.cause}", file_path) from None
        except Exception as err:  # uproot's own errors on a damaged basket (key, ROOT block)
            raise BalerDecodeError(f"{what} cannot be read: {type(err).__name__}: {err}", file_path) from err
        finally:
            _reading.capture = outer_capture
            _reading.chain = chain
        if len(captured) != 1 or len(captured[0][1]) != read.member("fObjlen"):
            raise BalerDecodeError(f"{what} is not stored as one Baler block", file_path)
        block = captured[0]
    try:
        values = _codec.context_basket(*block)
    except _codec.BlockError as err:
        raise BalerDecodeError(f"{what} holds no column of values: {err}", file_path) from None
    global _context_baskets_fetched
    _context_baskets_fetched += 1
    _context_cache.put(key, values)
    return values


def _read_bytes(file, seek, size):
    """`size` bytes at `seek` of an open uproot file: a local file read directly (uproot's local
    source hands each request to a thread and opens the file for it, several times the cost of a
    carrier's small basket), any other through uproot's source (a URL, or a file-like object, which
    uproot keeps as the file's path)."""
    path = file.file_path
    if isinstance(path, (str, bytes, os.PathLike)) and os.path.isfile(path):
        with open(path, "rb") as stream:
            data = os.pread(stream.fileno(), size, seek)
        if len(data) != size:
            raise OSError(f"{size} bytes at {seek} requested, {len(data)} in the file")
        return numpy.frombuffer(data, dtype=numpy.uint8)
    return numpy.frombuffer(file.source.chunk(seek, seek + size).raw_data, dtype=numpy.uint8)


def _stored_block(source, k, what, chain, file_path):
    """(payload, decoded bytes) of basket `k` of branch `source`, read straight from the file, when
    it is what a carrier most often is: one Baler block holding the whole basket, coded with no
    model, its entry offsets at most derived from another carrier's basket (fetched in turn with
    `chain` as the chain of baskets being fetched). None otherwise. uproot's reading of a basket
    (its key and TBasket models, the interpretation) cost a member read alone more than decoding
    its carriers: Muon_E of 40 HZZ copies read 2.6x the time of the per-value file, each of its
    baskets fetching three carriers' (bench/uproot_objects_read.py)."""
    seek, size = int(source.member("fBasketSeek")[k]), int(source.member("fBasketBytes")[k])
    if size < 18:  # not even the key's header below: uproot's reading says what is wrong
        return None
    try:
        raw = _read_bytes(source.file, seek, size)
    except Exception as err:  # a truncated file
        raise BalerDecodeError(f"{what} cannot be read: {type(err).__name__}: {err}", file_path) from err
    # The key (ROOT's TKey): fNbytes, fVersion, fObjlen, fDatime, fKeylen, big-endian; then the block.
    nbytes, objlen, keylen = (int.from_bytes(raw[a:b].tobytes(), "big") for a, b in ((0, 4), (6, 10), (14, 16)))
    start = keylen + _HEADER_SIZE
    if nbytes != size or start > size:
        return None
    magic, method, payload_size, decoded_size = _block_header(raw[keylen:start])
    if magic != _BALER_MAGIC or method != _BALER_METHOD or start + payload_size != size or decoded_size != objlen:
        return None
    payload = raw[start:size].tobytes()
    try:
        needs = _codec.block_context(payload)
    except _codec.BlockError:
        return None  # a damaged (or newer) block header: uproot's reading says which, as this basket's
    offsets = None
    if needs is not None:
        _, first, entries = chain[-1]
        if needs["model"] is not None or not needs["offsets_from"] or needs["member"] not in (None, source.name) \
                or needs["entries"] != entries:
            return None  # a member with its own context, or a damaged block: uproot's reading says which
        outer_chain = getattr(_reading, "chain", ())
        _reading.chain = chain
        try:
            offsets = _carrier(needs["offsets_from"], first, entries, source.name, file_path)
        except BalerDecodeError as err:  # worded as when uproot's reading of this basket fails
            raise BalerDecodeError(f"{what} cannot be decoded: {err.cause}", file_path) from None
        finally:
            _reading.chain = outer_chain
    out = numpy.empty(objlen, dtype=numpy.uint8)
    try:
        _codec.decode_block(payload, out, offsets=offsets)
    except (_codec.MissingModelError, _codec.UnsupportedBlockError):
        return None  # uproot's reading finds the model, or says which package to upgrade
    except _codec.BlockError as err:
        raise BalerDecodeError(f"{what} cannot be decoded: {err}", file_path) from None
    return payload, out


def _keep_carrier(payload, out):
    """A block that decoded the whole basket being read: its values are kept as context when its
    branch is a context member (a member's block has named it, or an object model stored in the
    file does), so that the members read next, or later, need not read and decode it again; and
    captured when it is being fetched as context (`_carrier`)."""
    captured = getattr(_reading, "capture", None)
    if captured is not None:
        captured.append((payload, out))
        return
    basket = getattr(_reading, "basket", None)
    if basket is None or basket.basket_num is None:
        return
    branch = basket.parent
    where = _tree_key(branch)
    if (*where, branch.name) not in _context_branches and branch.name not in _file_context_members(branch.file):
        return
    try:
        values = _codec.context_basket(payload, out)
    except _codec.BlockError:
        return  # both float kinds: no member's context
    _context_cache.put(_basket_key(where, branch, basket.basket_num), values)


# The context members of the object models each file read so far stores (by path and UUID): their
# baskets are kept as uproot decodes them. Bounded: one small set per file, the oldest dropped.
_file_context = {}
_FILE_CONTEXT_KEPT = 256


def _file_context_members(file):
    """The branch names the object models stored in `file` (keys baler_model_<id>) name as context;
    read once per file. A damaged copy counts through its copy in BALER_MODEL_PATH; a model found
    nowhere names none here (its members' reads say why)."""
    key = (file.file_path, file.fUUID)
    names = _file_context.get(key)
    if names is not None:
        return names
    names = set()
    outer = getattr(_reading, "file", None)
    _reading.file = file
    try:
        for name in file.root_directory.keys(recursive=False, cycle=False):
            if name.startswith(_MODEL_KEY_PREFIX):
                try:
                    model = _model(name[len(_MODEL_KEY_PREFIX):], file.file_path)
                except BalerDecodeError:
                    continue
                if model.is_object:
                    names.update(model.context_members())
    finally:
        _reading.file = outer
    if len(_file_context) >= _FILE_CONTEXT_KEPT:
        _file_context.pop(next(iter(_file_context)))
    _file_context[key] = names = frozenset(names)
    return names


# Models of the ae: codec found so far, by id: parsed once per process.
_MODEL_KEY_PREFIX = "baler_model_"
_models = {}


# The file whose basket is being read on this thread (set by _read_basket_members): the ae: models
# a file was written with are stored in it.
_reading = threading.local()


def _string_key_text(file, key_name):
    """The text of the TObjString stored as the key `key_name` (a model key), read as libBalerROOT
    reads it: only where the string lies is taken from the key. uproot's streamer refused a
    damaged byte count, which ROOT reads past, and its DeserializationError escaped every Baler
    basket's read of the file; the model's content hash checks the text."""
    key = file.root_directory.key(key_name)
    if key.fClassName != "TObjString":
        raise ValueError(f"it holds a {key.fClassName}, not a TObjString")
    chunk, cursor = key.get_uncompressed_chunk_cursor()
    raw = cursor.bytes(chunk, key.fObjlen, {}).tobytes()
    # a byte count (marked by 0x40000000) and the version; TObject's version, fUniqueID and fBits
    # (then a process id, where kIsReferenced); the TString: a length byte, or 255 and 4 bytes
    if len(raw) < 17 or not raw[0] & 0x40:
        raise ValueError("it does not open with a TObjString's byte count")
    at = 16 + (2 if int.from_bytes(raw[12:16], "big") & 0x10 else 0)
    length, at = (raw[at], at + 1) if at < len(raw) else (len(raw), at)
    if length == 255 and at + 4 <= len(raw):
        length, at = int.from_bytes(raw[at:at + 4], "big"), at + 4
    if at + length > len(raw):
        raise ValueError("its string's length runs past its object")
    return raw[at:at + length].decode("utf-8", "replace")


def _model_in_file(model_id):
    """The model stored in the file being read, as the ROOT plugin writes it: the top-level key
    baler_model_<id>, a TObjString holding the .balm bytes in base64; None when it is not there."""
    file = getattr(_reading, "file", None)
    key = f"{_MODEL_KEY_PREFIX}{model_id}"
    if file is None or key not in file.root_directory:
        return None
    try:
        model = _codec.Model(base64.b64decode(_string_key_text(file, key), validate=True))
    except (ValueError, _codec.ModelError, uproot.DeserializationError) as err:
        raise BalerDecodeError(f"the file's ae: model {model_id} is damaged: {err}", file.file_path) from None
    except Exception as err:  # noqa: BLE001 (damage shows as any decompressor's error)
        # a bare cramjam DecompressionError, naming nothing, escaped the read of every basket that
        # needs the model, and its copy in BALER_MODEL_PATH was never looked for (a damaged-input sweep)
        raise BalerDecodeError(f"the file's ae: model {model_id} is damaged: {type(err).__name__}: {err}",
                               file.file_path) from None
    if model.id != model_id:
        raise BalerDecodeError(f"the file's key {key} holds the model {model.id}: damaged", file.file_path)
    return _models.setdefault(model.id, model)


def _model(model_id, file_path):
    """The ae: model with this id: from the file being read, else from the .balm files in the
    folders of BALER_MODEL_PATH (a model's id is the hash of its content, so any file name will do).
    A damaged copy in the file gives way to one in BALER_MODEL_PATH, as in ROOT."""
    if model_id in _models:
        return _models[model_id]
    try:
        if (model := _model_in_file(model_id)) is not None:
            return model
        damage = None
    except BalerDecodeError as error:
        damage = error
    folders = [folder for folder in os.environ.get("BALER_MODEL_PATH", "").split(os.pathsep) if folder]
    unreadable = []
    for folder in folders:
        if pathlib.Path(folder).is_file():  # BALER_MODEL_PATH=model.balm: a natural slip
            unreadable.append(f"{folder}, a file: BALER_MODEL_PATH lists folders that hold .balm files")
        for path in sorted(pathlib.Path(folder).glob("*.balm")):
            if not path.is_file():  # a FIFO so named would wait forever for a writer
                continue
            try:
                model = _codec.Model(path.read_bytes())
            except (OSError, _codec.ModelError) as err:
                unreadable.append(f"{path}: {err}")
                continue
            _models.setdefault(model.id, model)
    if model_id in _models:
        if damage is not None:
            warnings.warn(f"baler_root: {damage.cause}; reading with its copy in BALER_MODEL_PATH", stacklevel=2)
        return _models[model_id]
    in_path = f"a .balm file in BALER_MODEL_PATH={os.pathsep.join(folders)}"
    if damage is not None and folders:
        found = f"{damage.cause}, and no {in_path} holds it"
    elif damage is not None:
        found = f"{damage.cause}, and BALER_MODEL_PATH is not set"
    elif folders:
        found = f"the block was coded with the ae: model {model_id}, which neither the file nor {in_path} holds"
    else:
        found = f"the block was coded with the ae: model {model_id}, which the file does not hold, and BALER_MODEL_PATH is not set"
    skipped = f"; unusable model files: {'; '.join(unreadable)}" if unreadable else ""
    raise BalerDecodeError(f"{found}: put its .balm file in a folder named by BALER_MODEL_PATH{skipped}", file_path)


def _decompress(chunk, cursor, context, compressed_bytes, uncompressed_bytes, block_info=None):
    """``uproot.compression.decompress`` that also decodes Baler blocks. Objects whose blocks are
    all ROOT's go to uproot's function untouched, errors included; a damaged block header is said
    here, where a basket read names its branch (uproot's own error names only the file)."""
    magics = _block_magics(chunk, cursor, context, compressed_bytes)
    if any(magic not in _ROOT_MAGICS for magic in magics):
        return _decode_blocks(chunk, cursor, context, compressed_bytes, uncompressed_bytes, block_info,
                              _BALER_MAGIC in magics)
    return _uproot_decompress(chunk, cursor, context, compressed_bytes, uncompressed_bytes, block_info)


def _describe_basket(basket, context):
    """'branch NAME of tree TREE, basket N (entries A-B)' for the basket uproot is reading."""
    branch = basket.parent
    where = f"branch {branch.name!r} of tree {branch.tree.name!r}"
    basket_num = context.get("basket_num")
    if basket_num is not None:
        where += f", basket {basket_num}"
        try:
            first, stop = branch.basket_entry_start_stop(basket_num)
            where += f" (entries {first}-{stop - 1})"
        except (IndexError, KeyError, AssertionError):
            pass  # the branch's own metadata is inconsistent: the basket number still locates it
    return where


def _zipped_block_stored_as_object(chunk, cursor, context):
    """Why the basket record at ``cursor`` cannot be read as stored, when its payload is exactly as
    long as its object (uproot then takes it for the uncompressed object) yet is one compressed
    block of that object: `baler compress` wrote such baskets before commit faf6b22
    (root-plugin/src/BasketKeyCheck.h, ZippedBlockStoredAsObject). None for any other record."""
    start = cursor.index
    nbytes, _, objlen, _, keylen, _ = cursor.copy().fields(chunk, _KEY_HEAD, context)
    if nbytes - keylen != objlen or objlen < _HEADER_SIZE:
        return None
    magic, _, payload_size, decoded_size = _block_header(
        chunk.get(start + keylen, start + keylen + _HEADER_SIZE, cursor, context))
    if magic not in (*_ROOT_MAGICS, _BALER_MAGIC) or payload_size + _HEADER_SIZE != objlen or decoded_size != objlen:
        return None
    algorithm = "Baler" if magic == _BALER_MAGIC else _ROOT_ALGORITHMS[magic]
    return (f"its payload is as long as its object, so it would be read as the uncompressed object, but it is a "
            f"{algorithm} block of that object: `baler compress` wrote such baskets from 2026-12-02 to 2026-12-04 "
            "(before commit faf6b22), and ROOT and uproot read their values wrong; compress the original file again")


def _read_basket_members(self, chunk, cursor, context, file):
    """``Model_TBasket.read_members`` that names the basket in a BalerDecodeError (and tells the
    model lookup which file is being read), and refuses a basket whose payload every reader would
    take for its object although it is compressed (see _zipped_block_stored_as_object)."""
    damage = _zipped_block_stored_as_object(chunk, cursor, context)
    if damage:
        raise BalerDecodeError(damage, file.file_path, _describe_basket(self, context))
    outer = getattr(_reading, "file", None)
    outer_basket = getattr(_reading, "basket", None)
    _reading.file = file
    _reading.basket = self
    try:
        return _uproot_read_basket_members(self, chunk, cursor, context, file)
    except BalerDecodeError as err:
        if err.where is not None:
            raise
        raise BalerDecodeError(err.cause, err.file_path, _describe_basket(self, context), err.in_baler_block) from None
    finally:
        _reading.file = outer
        _reading.basket = outer_basket


def _check_signature(function, expected):
    found = list(inspect.signature(function).parameters)
    if found != expected:
        raise ImportError(
            f"baler_root cannot hook into uproot {uproot.__version__}: {function.__module__}.{function.__qualname__} "
            f"takes ({', '.join(found)}), baler_root was written for ({', '.join(expected)}); "
            "use uproot 5.7 or a baler_root that supports this uproot"
        )


def _uproots_own(function):
    """uproot's own `function`, where the one installed may be this module's wrapper of it: a reload
    of this module (Jupyter's %autoreload) runs this again after install(), and a wrapper that
    took the previous wrapper for uproot's called itself until Python's recursion limit."""
    return getattr(function, "_baler_wraps", function)


_uproot_decompress = _uproots_own(uproot.compression.decompress)
_uproot_read_basket_members = _uproots_own(uproot.models.TBasket.Model_TBasket.read_members)


def install():
    """Makes uproot decode Baler blocks (done by ``import baler_root``; calling it again is harmless)."""
    if uproot.compression.decompress is _decompress:
        return
    if not uproot.__version__.startswith("5."):
        raise ImportError(f"baler_root supports uproot 5, not uproot {uproot.__version__}")
    _check_signature(_uproot_decompress, _DECOMPRESS_PARAMETERS)
    _check_signature(_uproot_read_basket_members, _READ_MEMBERS_PARAMETERS)
    # uproot's decompress calls its per-block hooks as attributes of the module's `decompress`,
    # which is this function from now on: they must live here.
    _decompress.hook_before_block = _uproot_decompress.hook_before_block
    _decompress.hook_after_block = _uproot_decompress.hook_after_block
    _decompress._baler_wraps = _uproot_decompress
    _read_basket_members._baler_wraps = _uproot_read_basket_members
    uproot.compression.decompress = _decompress
    uproot.models.TBasket.Model_TBasket.read_members = _read_basket_members
    uproot.compression.algorithm_codes.setdefault(_BALER_ALGORITHM, Baler)
