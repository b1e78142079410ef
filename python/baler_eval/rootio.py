"""ROOT side of baler eval: opening files, branch metadata, chunked reading.

Everything is read through ROOT, so a Baler file is decoded by libBalerROOT (ROOT loads it when
the file is opened, given LD_LIBRARY_PATH from build/env.sh). Branch types, codecs and bytes come
from `baler inspect --json`, the figures `baler inspect` and `baler compress` print.
"""

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .command import run_baler
from .errors import EvalError

_HERE = Path(__file__).resolve().parent
_ROOT = None


def root():
    """The ROOT module, imported once, in batch mode, with the flat reader declared."""
    global _ROOT
    if _ROOT is None:
        # The PyPI build of ROOT warns on every import that it is an alpha release: noise in a report.
        warnings.filterwarnings("ignore", message=r"\s*This distribution of ROOT is in alpha stage")
        try:
            import ROOT
        except ImportError as error:
            raise EvalError(f"cannot import ROOT ({error}): run `source build/env.sh` first") from error
        ROOT.gROOT.SetBatch(True)
        if not ROOT.gInterpreter.Declare(f'#include "{_HERE / "flat_reader.h"}"'):
            raise EvalError("cannot compile baler_eval's flat_reader.h with ROOT's interpreter")
        ROOT.BalerEval.CollectNoDictionaryWarnings()
        _ROOT = ROOT
    return _ROOT


def no_dictionary_warning():
    """One line for the classes ROOT has no dictionary for in the files read so far, or None."""
    if _ROOT is None or not _ROOT.BalerEval.NoDictionaryClasses().size():
        return None
    names = list(dict.fromkeys(str(n) for n in _ROOT.BalerEval.NoDictionaryClasses()))
    named = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (f"ROOT has no dictionary for {len(names)} classes of the files ({named}); baler eval reads their "
            "numbers without them")


@dataclass
class BranchInfo:
    """One branch as `baler inspect` reports it."""

    tree: str
    name: str
    type: str
    entries: int
    bytes: int        # compressed bytes on disk, basket keys included
    total_bytes: int  # uncompressed bytes
    codec: str        # e.g. "baler bits:10", "zlib 1"

    @property
    def in_tree_key(self):
        """Whether the branch's baskets are inside its tree's key (a small tree never flushed, such
        as a NanoAOD file of a few hundred entries): its entries hold no bytes of their own on file."""
        return self.bytes == 0 and self.entries > 0

    @property
    def holds_floats(self):
        return _number_type(self.type) in _FLOAT_TYPES

    @property
    def holds_single_floats(self):
        """Floats of 32 bits as Baler codes them ("f32"); doubles are "f64"."""
        return _number_type(self.type) in _SINGLE_FLOAT_TYPES

    @property
    def integer_bits(self):
        """("signed" or "unsigned") for a branch of 64-bit integers, which a double would round above
        2^53 (uint64 event ids, ATLAS's pileUpMixtureID); None for any other."""
        number = _number_type(self.type)
        if number in _WIDE_SIGNED:
            return "signed"
        return "unsigned" if number in _WIDE_UNSIGNED else None

    @property
    def holds_numbers(self):
        """Numbers, alone or in arrays, vectors or RVecs nested at most twice: what TTreeFormula
        evaluates faithfully (it returns garbage for classes without a dictionary, links, strings)."""
        return _number_type(self.type) is not None


_SINGLE_FLOAT_TYPES = {"Float_t", "Float16_t", "float"}
_FLOAT_TYPES = _SINGLE_FLOAT_TYPES | {"Double_t", "Double32_t", "double"}
_NUMBER_TYPES = _FLOAT_TYPES | {
    "Bool_t", "Char_t", "UChar_t", "Short_t", "UShort_t", "Int_t", "UInt_t", "Long_t", "ULong_t", "Long64_t",
    "ULong64_t", "bool", "char", "unsigned char", "signed char", "short", "unsigned short", "int", "unsigned int",
    "long", "unsigned long", "long long", "unsigned long long", "int8_t", "uint8_t", "int16_t", "uint16_t",
    "int32_t", "uint32_t", "int64_t", "uint64_t"}
_WIDE_SIGNED = {"Long64_t", "Long_t", "long", "long long", "int64_t"}
_WIDE_UNSIGNED = {"ULong64_t", "ULong_t", "unsigned long", "unsigned long long", "uint64_t"}
_CONTAINER = re.compile(r"^(?:std::)?(?:vector|ROOT::VecOps::RVec|ROOT::RVec)<(.*)>$")
_ARRAY = re.compile(r"(\[\w*\])+$")


def root_path(path):
    """`path` as ROOT opens that file: ROOT reads a first name with a colon as a protocol
    ("file:e.root" opened e.root), so such a relative local path goes as ./path, which names the
    same file; a URL (`root://...`) as given, as the command's own reader takes it."""
    text = str(path)
    first = text.split("/", 1)[0]
    return "./" + text if ":" in first and "://" not in text else text


MODEL_KEY_PREFIX = "baler_model_"


def model_key_bytes(path):
    """{model id: bytes of its keys (`baler_model_<id>`, every cycle, headers included)} of a file."""
    stored = root().TFile.Open(root_path(path), "READ")
    sizes = {}
    for key in stored.GetListOfKeys():
        if key.GetName().startswith(MODEL_KEY_PREFIX):
            model_id = key.GetName()[len(MODEL_KEY_PREFIX):]
            sizes[model_id] = sizes.get(model_id, 0) + key.GetNbytes()
    stored.Close()
    return sizes


def _number_type(type_name):
    """The number type inside at most two levels of arrays/vectors/RVecs, or None."""
    inner, depth = type_name.strip(), 0
    if _ARRAY.search(inner):
        inner, depth = _ARRAY.sub("", inner).strip(), 1
    while (match := _CONTAINER.match(inner)) is not None:
        inner, depth = match.group(1).strip(), depth + 1
    return inner if inner in _NUMBER_TYPES and depth <= 2 else None


def inspect_branches(path, readable_alone=False):
    """Every data-holding branch of every tree in the file, keyed by (tree path, branch name).
    `readable_alone`: a model that the file's baskets need and that neither the file nor
    BALER_MODEL_PATH holds (inspect names it) is an error. Read beside the original, its values
    came through the original's copy of the model, open in the same process, and the compressed
    file was judged exact although nothing could read it on its own (a damaged-input sweep)."""
    warnings = []
    try:
        # inspect's error names the file, and the user ran eval: no "baler inspect failed" before it
        listing = json.loads(run_baler("inspect", "--json", path, prefix="", warnings=warnings))
    except json.JSONDecodeError as error:
        raise EvalError(f"`baler inspect --json {path}` printed no JSON ({error})") from error
    unreadable = [warning for warning in warnings if warning.endswith("cannot be read")]
    if readable_alone and unreadable:
        raise EvalError(f"{unreadable[0]}: the file cannot be read on its own (put the model in BALER_MODEL_PATH, "
                        "or compress the original again)")
    rows = {}
    for branch in listing.get("branches", []):
        info = BranchInfo(tree=branch["tree"], name=branch["branch"], type=branch["type"], entries=branch["entries"],
                          bytes=branch["compressed"] or 0, total_bytes=branch["uncompressed"] or 0,
                          codec=branch["codec"])
        rows[(info.tree, info.name)] = info
    return rows


class TreeReader:
    """One tree of one file: which branches ROOT can evaluate, and reading chosen branches in entry
    ranges as flat float64 arrays plus per-entry counts."""

    def __init__(self, path, tree_path):
        self._root = root()
        self._file = self._root.TFile.Open(root_path(path), "READ")
        if not self._file or self._file.IsZombie():
            raise EvalError(f"cannot open '{path}' with ROOT")
        tree = self._file.Get(tree_path)
        if not tree or not tree.InheritsFrom("TTree"):
            raise EvalError(f"'{path}' has no tree '{tree_path}'")
        self.tree = tree
        self.entries = int(tree.GetEntries())
        self.branch_names = []
        self._reader = None
        self._shapes = {}  # read(): {collection of collections: each entry's shape}

    def readable(self, name):
        """Whether the branch holds its values itself and ROOT's TTreeFormula can evaluate it."""
        return bool(self._root.BalerEval.Readable(self.tree, name))

    def leaf_list_columns(self, name):
        """[("name.leaf", type)] for a leaf list (`a/F:b/D:n/I`), whose leaves are compared one by
        one; [] for any other branch."""
        return [(str(column), str(type_name)) for column, type_name in self._root.BalerEval.LeafListColumns(self.tree, name)]

    def select(self, branch_names, integer_bits=None):
        """The branches that read() returns from now on; `integer_bits` {branch: "signed" or
        "unsigned"} names those of 64-bit integers, which come back exact (int64 or uint64 arrays)."""
        self.branch_names = list(branch_names)
        self._integer_bits = dict(integer_bits or {})
        names, wide = self._root.std.vector["std::string"](), self._root.std.vector["std::string"]()
        for name in self.branch_names:
            names.push_back(name)
            if name in self._integer_bits:
                wide.push_back(name)
        try:
            self._reader = self._root.BalerEval.FlatReader(self.tree, names, wide)
        except Exception as error:  # cppyy turns std::runtime_error into a Python exception
            raise EvalError(f"{self._file.GetName()}: {cpp_message(error)}") from error

    def shapes(self, name):
        """For a collection of collections read by the last read(), a hash of each entry's inner
        sizes (uint64 array); None for any other branch."""
        return self._shapes.get(name)

    def read(self, first, last):
        """{branch: (values, counts)} for entries [first, last); both arrays are copies."""
        try:
            self._reader.Read(first, last)
        except Exception as error:
            raise EvalError(f"{self._file.GetName()}: {cpp_message(error)}") from error
        chunk = {}
        self._shapes = {}
        for i, name in enumerate(self.branch_names):
            bits = self._integer_bits.get(name)
            values = (_to_numpy(self._reader.Values(i), np.float64) if bits is None else
                      _to_numpy(self._reader.Integers(i), np.int64).view(np.uint64 if bits == "unsigned" else np.int64))
            chunk[name] = (values, _to_numpy(self._reader.Counts(i), np.int32))
            if self._reader.Shapes(i).size():
                self._shapes[name] = _to_numpy(self._reader.Shapes(i), np.uint64)
        return chunk

    def close(self):
        self._reader = None  # its formulas go first, while their tree exists
        self._root.BalerEval.KeepEmulatedObjects(self.tree)
        self._file.Close()


def _to_numpy(vector, dtype):
    if vector.size() == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(vector.data(), dtype=dtype, count=vector.size()).copy()


def cpp_message(error):
    """The what() of a C++ exception, without cppyy's call-site line and type name
    ("    runtime_error: ...", "std::exception: ...")."""
    text = str(error).strip().splitlines()[-1].strip()
    return re.sub(r"^(std::)?\w*(exception|error): ", "", text)


def chunk_entries(tree, target_bytes=4 << 20):
    """Entries per chunk so that a chunk holds about target_bytes of uncompressed data."""
    entries = max(1, int(tree.GetEntries()))
    bytes_per_entry = max(1.0, float(tree.GetTotBytes()) / entries)
    return max(1000, int(target_bytes / bytes_per_entry))
