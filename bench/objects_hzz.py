#!/usr/bin/env python3
"""Issue 13 on HZZ: object models on the Jet, Muon, Electron and Photon collections (`baler train
--branches 'Jet_*'` ..., each a 4-vector plus btag or Iso) and bits:10 on every other float, against
bits:10 alone; the same through `baler compress`, and its time with and without the models; then the
read time of one member alone and of a whole collection, against bits:10.

    source build/env.sh && .venv/bin/python bench/objects_hzz.py [../shared/data] [--copies N] [--repeat R] [--no-read]

Sizes: HZZ's `events` tree rewritten by ROOT (tests/macros/rewrite_tree.C) at bits:10, the
collections by BALER_POLICY with `ae:bits:10:MODEL`; float-branch bytes are the float branches'
GetZipBytes() (tests/macros/float_branch_bytes.C), and the object file's are counted with the
models it stores (its `baler_model_*` keys). `baler compress` rewrites HZZ basket by basket (its own
baskets, not the macro's) with `--policy` for the collections and `--codec bits:10`, against
`--codec bits:10` alone; its time is that of the command on the N copies below, with and without the
models, the two interleaved, best of R. Read times: the tree repeated N times (a TChain of N
copies of HZZ, rewritten the same way, so there are many baskets), each read by a fresh
`root.exe` (bench/objects_read.C: every other branch off, GetEntry over every entry), the two files
interleaved, best of R; the ratio is objects / bits:10.
"""
import argparse
import os
import pathlib
import re
import subprocess
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
MACROS = REPO / "tests" / "macros"
COLLECTIONS = ["Jet", "Muon", "Electron", "Photon"]


def root_macro(path, *args, env=None):
    call = f"{path}({', '.join(chr(34) + str(a) + chr(34) if isinstance(a, (str, pathlib.Path)) else str(a) for a in args)})"
    proc = subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True, env=env)
    if proc.returncode != 0 or "Error in <Baler>" in proc.stdout + proc.stderr:
        raise SystemExit(f"{call} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def model_key_bytes(path):
    code = ("import ROOT, sys\nf = ROOT.TFile.Open(sys.argv[1])\n"
            "print('models:', sum(k.GetNbytes() for k in f.GetListOfKeys() if k.GetName().startswith('baler_model_')))")
    out = subprocess.run([REPO / ".venv" / "bin" / "python", "-c", code, path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"models: (\d+)", out).group(1))


def float_bytes(path):
    out = root_macro(MACROS / "float_branch_bytes.C", path, "events")
    zip_bytes, values = (int(x) for x in re.findall(r"\d+", out.splitlines()[-2].split(":", 1)[1]))
    return zip_bytes, values


def rewrite(source, out, policy=None):
    env = {**os.environ, "BALER_POLICY": policy} if policy else None
    root_macro(MACROS / "rewrite_tree.C", source, out, "events", 4210, env=env)


def print_sizes(prefix, per_value, objects):
    """The rows of the size table: the float bytes of `per_value` and `objects`, then with its models."""
    pv_bytes, values = float_bytes(per_value)
    obj_bytes, _ = float_bytes(objects)
    models = model_key_bytes(objects)
    for name, size in ((prefix + "bits:10", pv_bytes), (prefix + ("objects" if prefix else "object models + bits:10"), obj_bytes),
                       ("  with its models (keys)", obj_bytes + models)):
        print(f"{name:<28}{size:>12}{values:>8}{size / values:>9.3f}")


def compress_seconds(source, out, *args):
    start = time.perf_counter()
    subprocess.run(["baler", "compress", source, out, *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - start


def read_seconds(path, glob):
    out = root_macro(REPO / "bench" / "objects_read.C", path, "events", glob)
    return float(re.search(r"objects_read: ([\d.]+) s", out).group(1))


def train_collection_models(source, folder):
    """`baler train` of an object model per collection of COLLECTIONS on `source` into `folder`:
    (the BALER_POLICY rules that code each collection with its model, {collection: train output})."""
    rules, outputs = [], {}
    for c in COLLECTIONS:
        model = folder / f"{c}.balm"
        outputs[c] = subprocess.run(["baler", "train", source, "--tree", "events", "--branches", f"{c}_*", "--bound",
                                     "bits:10", "--out", model], capture_output=True, text=True, check=True).stdout
        rules.append(f"events/{c}_*=ae:bits:10:{model}")
    return ",".join(rules), outputs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=REPO.parent / "shared" / "data", type=pathlib.Path)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-read", action="store_true", help="sizes and `baler compress` only")
    args = parser.parse_args()
    source = args.data / "uproot-HZZ.root"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        policy, outputs = train_collection_models(source, tmp)
        for c, out in outputs.items():
            print(f"{c}: " + "; ".join(line.strip() for line in out.splitlines() if "norm of" in line or "linear in" in line))
        per_value, objects = tmp / "bits10.root", tmp / "objects.root"
        rewrite(source, per_value)
        rewrite(source, objects, policy)
        print(f"\n{'file':<28}{'float bytes':>12}{'values':>8}{'B/value':>9}")
        print_sizes("", per_value, objects)

        # the same through `baler compress` (the input's own baskets)
        with_models = ["--policy", policy, "--codec", "bits:10"]
        cmp_pv, cmp_obj = tmp / "compress_bits10.root", tmp / "compress_objects.root"
        compress_seconds(source, cmp_pv, "--codec", "bits:10")
        compress_seconds(source, cmp_obj, *with_models)
        print_sizes("baler compress ", cmp_pv, cmp_obj)

        chain = tmp / "chain.root"
        root_macro(REPO / "bench" / "objects_read.C", source, "events", "", args.copies, chain)
        best = {"pv": float("inf"), "obj": float("inf")}
        for _ in range(args.repeat):
            best["pv"] = min(best["pv"], compress_seconds(chain, tmp / "chain_bits10.root", "--codec", "bits:10"))
            best["obj"] = min(best["obj"], compress_seconds(chain, tmp / "chain_objects.root", *with_models))
        print(f"\nbaler compress, {args.copies} copies of the tree, best of {args.repeat}, interleaved: "
              f"bits:10 {best['pv']:.3f} s, object models {best['obj']:.3f} s, ratio {best['obj'] / best['pv']:.2f}")
        if args.no_read:
            return

        # read time, on N copies of the tree (many baskets per branch)
        big_pv, big_obj = tmp / "big_bits10.root", tmp / "big_objects.root"
        rewrite(chain, big_pv)
        rewrite(chain, big_obj, policy)
        print(f"\nread time, {args.copies} copies of the tree, best of {args.repeat} fresh processes, interleaved")
        print(f"{'branches read':<22}{'bits:10 s':>10}{'objects s':>10}{'ratio':>7}")
        for glob in ["Muon_E", "Jet_E", "Muon_*", "Jet_*", "Muon_Px", "Muon_Py"]:
            best = {"pv": float("inf"), "obj": float("inf")}
            for _ in range(args.repeat):
                best["pv"] = min(best["pv"], read_seconds(big_pv, glob))
                best["obj"] = min(best["obj"], read_seconds(big_obj, glob))
            print(f"{glob:<22}{best['pv']:>10.4f}{best['obj']:>10.4f}{best['obj'] / best['pv']:>7.2f}")


if __name__ == "__main__":
    main()
