#!/usr/bin/env python3
"""Issue 13 on CMS NanoAOD (`nanoAOD_2015_CMS_Open_Data_ttbar.root`): object models on the Jet, Muon and
Electron collections (`baler train --branches 'Jet_*'` ... at bits:10) against bits:10 alone, the float
branches of each collection counted apart, with and without the model's bytes.

    source build/env.sh && .venv/bin/python bench/objects_nanoaod.py [../shared/data]

The Events tree rewritten by ROOT (tests/macros/rewrite_tree.C) at bits:10, the collections by
BALER_POLICY with `ae:bits:10:MODEL`; bytes are each float branch's compressed bytes as `baler
inspect --json` gives them (GetZipBytes: the baskets' data with their entry offsets and keys);
the models are counted as the file stores them (its `baler_model_*` keys: a model is written only
when a block names it, and blocks that only derive their entry offsets name none), beside the
`.balm` sizes.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from objects_hzz import model_key_bytes  # noqa: E402 (the models a file stores, as its keys)

COLLECTIONS = ["Jet", "Muon", "Electron"]


def rewrite(source, out, policy=None):
    env = {**os.environ, "BALER_POLICY": policy} if policy else None
    call = f'{REPO / "tests" / "macros" / "rewrite_tree.C"}("{source}", "{out}", "Events", 4210)'
    proc = subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True, env=env)
    if proc.returncode != 0 or "Error in <Baler>" in proc.stdout + proc.stderr:
        raise SystemExit(f"{call} failed:\n{proc.stdout}\n{proc.stderr}")


def float_branches(path):
    rows = json.loads(subprocess.run(["baler", "inspect", path, "--json"], capture_output=True, text=True, check=True).stdout)["branches"]
    return {row["branch"].split("/")[-1]: row["compressed"] for row in rows if row["type"].startswith("Float_t")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=REPO.parent / "shared" / "data", type=pathlib.Path)
    args = parser.parse_args()
    source = args.data / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        policy, model_bytes = [], {}
        for c in COLLECTIONS:
            model = tmp / f"{c}.balm"
            subprocess.run(["baler", "train", source, "--tree", "Events", "--branches", f"{c}_*", "--bound", "bits:10",
                            "--out", model], capture_output=True, text=True, check=True)
            model_bytes[c] = model.stat().st_size
            policy.append(f"Events/{c}_*=ae:bits:10:{model}")
        per_value, objects = tmp / "bits10.root", tmp / "objects.root"
        rewrite(source, per_value)
        rewrite(source, objects, ",".join(policy))
        pv, obj = float_branches(per_value), float_branches(objects)
        print(f"{'collection':<11}{'floats':>7}{'bits:10 B':>10}{'objects B':>10}{'smaller':>9}{'.balm B':>8}")
        totals = [0, 0]
        for c in COLLECTIONS:
            names = [n for n in pv if n.startswith(c + "_")]
            a, b = sum(pv[n] for n in names), sum(obj[n] for n in names)
            totals = [totals[0] + a, totals[1] + b]
            print(f"{c:<11}{len(names):>7}{a:>10}{b:>10}{1 - b / a:>9.1%}{model_bytes[c]:>8}")
        a, b = totals
        stored = model_key_bytes(objects)
        print(f"{'all three':<11}{'':>7}{a:>10}{b:>10}{1 - b / a:>9.1%}{sum(model_bytes.values()):>8}")
        print(f"models stored in the object file: {stored} bytes; all three with them: {1 - (b + stored) / a:.1%} smaller")


if __name__ == "__main__":
    main()
