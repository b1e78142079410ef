"""`baler generate --sample detector` (docs/generated-data.md): calorimeter showers
CaloShower_E[256]/F and digitised pulses Pulse_adc[32]/F with the documented shapes, noise
sigmas and energy dependence, the same values for a seed."""
import numpy as np
import pytest
import uproot

from conftest import baler, run_baler  # noqa: F401 (baler: a fixture)

EVENTS = 2000
SHOWER_NOISE = 0.020  # GeV per cell
PULSE_NOISE = 2.0  # ADC counts per sample
SAMPLE_PERIOD = 25.0  # ns
PEAKING_TIME = 75.0  # ns from the start of a pulse to its peak


@pytest.fixture(scope="module")
def detector(baler, tmp_path_factory):  # noqa: F811 (the fixture)
    path = tmp_path_factory.mktemp("detector") / "detector.root"
    proc = run_baler(baler, "generate", path, "--sample", "detector", "--events", EVENTS, "--seed", 3)
    assert f"wrote {EVENTS} events of the detector sample" in proc.stdout, proc.stdout
    with uproot.open(path) as f:
        arrays = f["Events"].arrays(library="np")
        meta = {name: f[f"meta/{name}"].member("fTitle")
                for name in ("generator", "CaloShower_E_noise_sigma", "CaloShower_E_stochastic_term",
                             "Pulse_adc_noise_sigma")}
        types = {name: branch.typename for name, branch in f["Events"].items()}
    return path, arrays, meta, types


def test_branches_have_the_documented_shapes(detector):
    _, arrays, meta, types = detector
    assert types == {"CaloShower_E": "float[256]", "CaloShower_trueE": "float", "Pulse_adc": "float[32]",
                     "Pulse_trueAmplitude": "float", "Pulse_trueTime": "float", "Pulse_truePedestal": "float"}
    assert arrays["CaloShower_E"].shape == (EVENTS, 256) and arrays["Pulse_adc"].shape == (EVENTS, 32)
    assert all(np.all(np.isfinite(a)) for a in arrays.values())
    assert meta["generator"] == f"baler generate --sample detector --events {EVENTS} --seed 3"
    assert float(meta["CaloShower_E_noise_sigma"]) == SHOWER_NOISE
    assert float(meta["Pulse_adc_noise_sigma"]) == PULSE_NOISE
    assert float(meta["CaloShower_E_stochastic_term"]) == 0.1


def test_pulse_noise_has_the_documented_sigma(detector):
    """The samples before a pulse starts are pedestal plus noise alone."""
    _, arrays, _, _ = detector
    start = arrays["Pulse_trueTime"] - PEAKING_TIME
    times = np.arange(32) * SAMPLE_PERIOD
    before = times[None, :] <= start[:, None]
    noise = (arrays["Pulse_adc"] - arrays["Pulse_truePedestal"][:, None])[before]
    assert noise.size > 5 * EVENTS
    assert abs(noise.mean()) < 0.05 and abs(noise.std() / PULSE_NOISE - 1) < 0.02, (noise.mean(), noise.std())
    # the pulse itself: its largest sample is about its amplitude above the pedestal
    height = arrays["Pulse_adc"].max(axis=1) - arrays["Pulse_truePedestal"]
    big = arrays["Pulse_trueAmplitude"] > 500
    assert np.all(np.abs(height[big] / arrays["Pulse_trueAmplitude"][big] - 1) < 0.2)


def test_shower_noise_has_the_documented_sigma(detector):
    """The outermost strips of the first four layers hold far less shower energy than the noise."""
    _, arrays, _, _ = detector
    cells = arrays["CaloShower_E"].reshape(EVENTS, 16, 16)
    noise = cells[:, :4, [0, 15]].ravel()
    assert abs(noise.mean()) < 0.002 and abs(noise.std() / SHOWER_NOISE - 1) < 0.02, (noise.mean(), noise.std())


def test_shower_holds_its_energy_and_starts_deeper_at_higher_energy(detector):
    _, arrays, _, _ = detector
    energy = arrays["CaloShower_trueE"]
    assert energy.min() >= 1.0 and energy.max() <= 1000.0
    cells = arrays["CaloShower_E"].reshape(EVENTS, 16, 16)
    # most of the energy is contained (24 X0 deep, 8 Moliere radii wide)
    assert np.median(cells.sum(axis=(1, 2)) / energy) > 0.9
    # the layer of the longitudinal maximum moves deeper as ln(E) grows
    peak_layer = cells.sum(axis=2).argmax(axis=1)
    low, high = peak_layer[energy < 3].mean(), peak_layer[energy > 300].mean()
    assert high - low > 2, (low, high)
    # laterally the shower sits in the two middle strips (its axis may lean by an angle)
    widest = cells.sum(axis=1)[energy > 10].argmax(axis=1)
    assert np.mean(np.isin(widest, (7, 8))) > 0.8, np.bincount(widest)

def test_a_seed_gives_the_same_values(baler, detector, tmp_path):  # noqa: F811 (the fixture)
    _, arrays, _, _ = detector
    again, other = tmp_path / "again.root", tmp_path / "other.root"
    run_baler(baler, "generate", again, "--sample", "detector", "--events", EVENTS, "--seed", 3)
    run_baler(baler, "generate", other, "--sample", "detector", "--events", 50, "--seed", 4)
    with uproot.open(again) as f:
        assert all(np.array_equal(arrays[k], v) for k, v in f["Events"].arrays(library="np").items())
    with uproot.open(other) as f:
        assert not np.array_equal(arrays["CaloShower_E"][:50], f["Events"]["CaloShower_E"].array(library="np"))
