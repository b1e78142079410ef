#!/usr/bin/env python3
"""Baler's own autoencoder as published (PyPI baler-compressor, its CMS configuration), on the
rate-distortion study's data: what it stores, with and without its model, and the errors it
achieves. Runs in its own environment, never the project's .venv:

    make baler-ae-env                                  # build/baler-ae-venv, requirements-baler-ae.txt
    build/baler-ae-venv/bin/python bench/baler_published_ae.py build/columns OUT.json [--epochs 25]

COLUMNS is the folder of raw big-endian float32 columns that tests/tools/extract_columns.py
writes (`make build/columns/.ready`). Each dataset is a table of rows (one jet or one muon) by
columns, as Baler's CMS example takes it: HZZ jets (Px, Py, Pz, E) and the 2012 dimuons (pt, eta,
phi, mass, one row per muon).

What runs is the package's: its training loop (`trainer.run`: min-max normalisation, the dense
`legacy_models.AE` n -> 200 -> 100 -> 50 -> z in float64, latent z = ceil(n / 1.6), Adam, lr 1e-3,
batch 512, L1 regularisation 1e-3, early stopping, deterministic seeds, 15% validation split),
its model file (`helper.model_saver`, the state dict) and its decoder (`helper.decompress`,
`helper.renormalize`). Two things its release cannot do on its own are done here: package
0.0.6's `helper.compress` calls `model.encoder`, which its AE does not have (it has `encode`), so
the latent is `AE.encode` of the same normalised float64 data; and its compressor's file writing is
commented out, so the latent is saved as its decompressor reads it (`np.savez`: data, names,
normalization_features, original_shape). Sizes are those files' bytes on disk.
"""

import argparse
import json
import pathlib
import sys
import tempfile
import time

import numpy as np
import torch

from baler_compressor import helper, legacy_models, trainer
from baler_compressor.config import Config

DATASETS = (
    # name in the study, folder under COLUMNS, columns
    ("hzz", "uproot-HZZ/events", ("Jet_Px", "Jet_Py", "Jet_Pz", "Jet_E")),
    ("dimuon", "Run2012BC_DoubleMuParked_Muons_1000evts/Events", ("Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass")),
)


def cms_config(npz_path, epochs):
    """The CMS example's configuration (baler projects/example_CMS), on the package's AE."""
    c = Config()
    c.input_path = str(npz_path)
    c.data_dimension = 1
    c.compression_ratio = 1.6
    c.apply_normalization = True
    c.model_name = "AE"
    c.model_type = "dense"
    c.model = legacy_models.AE
    c.epochs = epochs
    c.lr = 0.001
    c.batch_size = 512
    c.early_stopping = True
    c.early_stopping_patience = 100
    c.min_delta = 0
    c.lr_scheduler = False
    c.lr_scheduler_patience = 50
    c.custom_norm = False
    c.l1 = True
    c.reg_param = 0.001
    c.RHO = 0.05
    c.test_size = 0.15
    c.extra_compression = False
    c.intermittent_model_saving = False
    c.intermittent_saving_patience = 100
    c.mse_avg = False
    c.mse_sum = True
    c.emd = False
    c.activation_extraction = False
    c.deterministic_algorithm = True
    c.verbose = False
    return c


def run(name, table, columns, epochs, work):
    npz = work / f"{name}.npz"
    np.savez(npz, data=table.astype(np.float64), names=np.array(columns))
    config = cms_config(npz, epochs)
    start = time.time()
    model, normalization, _ = trainer.run(str(npz), config)
    seconds = time.time() - start
    model_path = work / f"{name}.model.pt"
    helper.model_saver(model, str(model_path))
    normalised = helper.normalize(table.astype(np.float64), config.custom_norm)
    with torch.no_grad():
        latent = model.encode(torch.from_numpy(normalised)).numpy()
    compressed = work / f"{name}.compressed.npz"
    np.savez(compressed, data=latent, names=np.array(columns), normalization_features=normalization,
             original_shape=np.array(table.shape))
    decoded, _, stored_normalization, _ = helper.decompress(str(model_path), str(compressed), "", "", config, str(work))
    decoded = helper.renormalize(decoded, stored_normalization[0], stored_normalization[1])
    # Compared as the float32 values a file would hold.
    back = np.asarray(decoded, dtype=np.float32).astype(np.float64)
    error = np.abs(back - table)
    nonzero = table != 0
    rel = error[nonzero] / np.abs(table[nonzero])
    return {
        "dataset": name, "columns": list(columns), "rows": int(table.shape[0]), "values": int(table.size),
        "latent": int(latent.shape[1]), "latent_dtype": str(latent.dtype), "epochs": epochs,
        "raw_float32_bytes": int(table.size * 4),
        "compressed_bytes": compressed.stat().st_size, "model_bytes": model_path.stat().st_size,
        "median_rel_error": float(np.median(rel)), "max_rel_error": float(rel.max()),
        "fraction_over_2_11": float(np.mean(rel > 2.0 ** -11)),
        "zeros_not_zero": int(np.count_nonzero(back[~nonzero] != 0)),
        "train_seconds": seconds, "torch_threads": torch.get_num_threads(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("columns", type=pathlib.Path, help="folder of extract_columns.py's raw columns")
    parser.add_argument("out", type=pathlib.Path, help="JSON file of the runs")
    parser.add_argument("--epochs", default="25", help="training lengths, comma-separated (25: the CMS example's)")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="baler-published-ae-") as work:
        for name, folder, columns in DATASETS:
            table = np.stack([np.fromfile(args.columns / folder / f"{c}.f32", dtype=">f4").astype(np.float64)
                              for c in columns], axis=1)
            for epochs in (int(e) for e in args.epochs.split(",")):
                runs.append(run(name, table, columns, epochs, pathlib.Path(work)))
                r = runs[-1]
                print(f"{name}, {epochs} epochs: {r['compressed_bytes']} B latent + {r['model_bytes']} B model for "
                      f"{r['values']} values ({r['raw_float32_bytes']} B as float32); median rel. error "
                      f"{r['median_rel_error']:.3g}, max {r['max_rel_error']:.3g}; {r['train_seconds']:.0f} s",
                      file=sys.stderr)
    args.out.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
