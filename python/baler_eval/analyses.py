"""Physics analyses run on the original and on the compressed file, event by event.

Each analysis turns one chunk of branches ({name: (flat values, values per entry)}) into the
entries it selected (their index in the chunk) and one physics quantity per selected event. The
selections use counts and charges, which Baler stores exactly, but also an order by pT (hzz4l's
four leading leptons), which rounding can change where two pTs nearly tie: the events are
paired by entry, not by position.
"""

from dataclasses import dataclass

import numpy as np


def _offsets(counts):
    return np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))


def _invariant_mass(energy, px, py, pz):
    return np.sqrt(np.maximum(energy * energy - px * px - py * py - pz * pz, 0.0))


def four_lepton_mass(chunk):
    """H -> ZZ -> 4l: the invariant mass of the four highest-pT leptons (muons and electrons
    together), for events where these four form two same-flavour opposite-charge pairs (4mu, 4e
    or 2e2mu). No kinematic cuts and no Z-mass pairing: the point is to compare two files."""
    leptons = []
    for flavour, prefix in enumerate(("Muon", "Electron")):
        px, counts = chunk[f"{prefix}_Px"]
        columns = [px] + [chunk[f"{prefix}_{c}"][0] for c in ("Py", "Pz", "E", "Charge")]
        leptons.append((np.column_stack(columns + [np.full(px.size, flavour)]), counts, _offsets(counts)))
    (muons, muon_counts, muon_offsets), (electrons, electron_counts, electron_offsets) = leptons
    events, masses = [], []
    for event in np.nonzero(muon_counts + electron_counts >= 4)[0]:
        rows = np.concatenate((muons[muon_offsets[event]:muon_offsets[event + 1]],
                               electrons[electron_offsets[event]:electron_offsets[event + 1]]))
        pt = np.hypot(rows[:, 0], rows[:, 1])
        four = rows[np.argsort(-pt, kind="stable")[:4]]
        flavour, charge = four[:, 5], four[:, 4]
        if all(np.count_nonzero(flavour == f) % 2 == 0 and charge[flavour == f].sum() == 0 for f in (0, 1)):
            px, py, pz, energy = four[:, :4].sum(axis=0)
            events.append(event)
            masses.append(_invariant_mass(energy, px, py, pz))
    return np.asarray(events, dtype=np.int64), np.asarray(masses, dtype=np.float64)


def dimuon_mass(chunk):
    """The invariant mass of the two muons of events with exactly two muons of opposite charge
    (as in ROOT's NanoAOD dimuon tutorial), from pt, eta, phi and mass."""
    pt, counts = chunk["Muon_pt"]
    eta, phi, mass, charge = (chunk[f"Muon_{c}"][0] for c in ("eta", "phi", "mass", "charge"))
    two = counts == 2
    first = _offsets(counts)[:-1][two]
    second = first + 1
    opposite = charge[first] * charge[second] < 0
    events = np.nonzero(two)[0][opposite]
    first, second = first[opposite], second[opposite]
    px, py, pz, energy = (np.zeros(first.size) for _ in range(4))
    for muon in (first, second):
        mu_px, mu_py = pt[muon] * np.cos(phi[muon]), pt[muon] * np.sin(phi[muon])
        mu_pz = pt[muon] * np.sinh(eta[muon])
        px += mu_px
        py += mu_py
        pz += mu_pz
        energy += np.sqrt(mu_px ** 2 + mu_py ** 2 + mu_pz ** 2 + mass[muon] ** 2)
    return events.astype(np.int64), _invariant_mass(energy, px, py, pz)


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    quantity: str       # axis label
    branches: tuple     # what the tree must have
    compute: callable
    log_x: bool = False  # spectra spanning decades are binned in log(quantity)


ANALYSES = {
    "hzz4l": Analysis(
        "hzz4l", "4 leptons (2 same-flavour opposite-charge pairs, no Z cuts)", "m(4l) [GeV]",
        tuple(f"{p}_{c}" for p in ("Muon", "Electron") for c in ("Px", "Py", "Pz", "E", "Charge")),
        four_lepton_mass),
    "dimuon": Analysis(
        "dimuon", "opposite-sign dimuons", "m(mu mu) [GeV]",
        tuple(f"Muon_{c}" for c in ("pt", "eta", "phi", "mass", "charge")),
        dimuon_mass, log_x=True),
}


def select(names, branch_names):
    """The analyses asked for: `auto` means every analysis whose branches the tree has."""
    chosen = []
    for name in names or ["auto"]:
        if name == "auto":
            chosen += [a for a in ANALYSES.values() if set(a.branches) <= set(branch_names) and a not in chosen]
        elif name in ANALYSES:
            if ANALYSES[name] not in chosen:
                chosen.append(ANALYSES[name])
        else:
            raise KeyError(name)
    return chosen
