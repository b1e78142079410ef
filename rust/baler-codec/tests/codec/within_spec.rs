//! The bound oracle itself (`f32_within_spec`, `f64_within_spec`): every round-trip test, fuzz
//! target and the benchmark trust it, so its verdict on the values INTERFACE.md singles out and on
//! the exact edges of each bound is pinned here.
use baler_codec::*;

fn lossy_specs() -> Vec<Spec> {
    vec![
        Spec::Bits(1),
        Spec::Bits(10),
        Spec::Rel(0.5),
        Spec::Rel(1e-3),
        Spec::Abs(1e-3),
        Spec::Abs(1e30),
        Spec::Ae { bound: Bound::Abs(1e30), model: "m".into() },
    ]
}

fn every_spec() -> Vec<Spec> {
    let mut specs = lossy_specs();
    specs.push(Spec::Lossless);
    specs
}

fn next_up32(x: f32) -> f32 {
    f32::from_bits(x.to_bits() + 1)
}
fn next_up64(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

#[test]
fn identical_bits_are_always_within() {
    let values32 = [1.5f32, -0.0, 0.0, f32::NAN, f32::from_bits(0x7fc0_1234), f32::INFINITY, f32::from_bits(3)];
    let values64 = [1.5f64, -0.0, 0.0, f64::NAN, f64::from_bits(0x7ff8_0000_dead_beef), f64::NEG_INFINITY];
    for spec in every_spec() {
        for x in values32 {
            assert!(f32_within_spec(&spec, x, x), "{spec}: {x:e}");
        }
        for x in values64 {
            assert!(f64_within_spec(&spec, x, x), "{spec}: {x:e}");
        }
    }
}

#[test]
fn nan_keeps_its_payload_and_sign() {
    let x32 = f32::from_bits(0x7fc0_1234);
    let x64 = f64::from_bits(0x7ff8_0000_dead_beef);
    for spec in every_spec() {
        for y in [f32::from_bits(0x7fc0_1235), f32::from_bits(0xffc0_1234), f32::NAN, 0.0, f32::MAX] {
            assert!(!f32_within_spec(&spec, x32, y), "{spec}: NaN {:#x} -> {:#x}", x32.to_bits(), y.to_bits());
        }
        for y in [f64::from_bits(0x7ff8_0000_dead_beee), f64::from_bits(0xfff8_0000_dead_beef), f64::NAN, 1.0] {
            assert!(!f64_within_spec(&spec, x64, y), "{spec}: NaN {:#x} -> {:#x}", x64.to_bits(), y.to_bits());
        }
    }
}

#[test]
fn infinities_stay_what_they_are() {
    for spec in every_spec() {
        for (x, y) in [(f32::INFINITY, f32::NEG_INFINITY), (f32::INFINITY, f32::MAX), (f32::NEG_INFINITY, f32::NAN)] {
            assert!(!f32_within_spec(&spec, x, y), "{spec}: {x} -> {y}");
        }
        for (x, y) in [(f64::INFINITY, f64::MAX), (f64::NEG_INFINITY, f64::MIN), (f64::INFINITY, f64::NAN)] {
            assert!(!f64_within_spec(&spec, x, y), "{spec}: {x} -> {y}");
        }
    }
}

#[test]
fn a_finite_value_never_becomes_nan_or_infinite() {
    for spec in every_spec() {
        for y in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert!(!f32_within_spec(&spec, f32::MAX, y), "{spec}: MAX -> {y}");
            assert!(!f32_within_spec(&spec, 1.0, y), "{spec}: 1 -> {y}");
        }
        for y in [f64::NAN, f64::INFINITY] {
            assert!(!f64_within_spec(&spec, f64::MAX, y), "{spec}: MAX -> {y}");
        }
    }
}

#[test]
fn zeros_keep_their_sign_under_every_spec() {
    for spec in every_spec() {
        assert!(!f32_within_spec(&spec, -0.0, 0.0), "{spec}");
        assert!(!f32_within_spec(&spec, 0.0, -0.0), "{spec}");
        assert!(!f32_within_spec(&spec, 0.0, f32::from_bits(1)), "{spec}");
        assert!(!f64_within_spec(&spec, -0.0, 0.0), "{spec}");
        assert!(!f64_within_spec(&spec, 0.0, -0.0), "{spec}");
    }
}

#[test]
fn subnormals_are_exact_even_where_the_bound_is_wide() {
    let sub32 = f32::from_bits(0x0000_0400);
    let sub64 = f64::from_bits(0x8000_0000_0000_0400);
    for spec in every_spec() {
        for y in [0.0, -0.0, f32::from_bits(0x0000_0401), f32::MIN_POSITIVE] {
            assert!(!f32_within_spec(&spec, sub32, y), "{spec}: {sub32:e} -> {y:e}");
        }
        // a float32 subnormal is a normal float64: the f32 oracle must not judge it as one
        assert!((sub32 as f64).is_normal());
        for y in [-0.0, f64::from_bits(0x8000_0000_0000_0401)] {
            assert!(!f64_within_spec(&spec, sub64, y), "{spec}: {sub64:e} -> {y:e}");
        }
    }
}

#[test]
fn a_normal_value_may_decode_to_zero_or_a_subnormal_within_an_absolute_bound() {
    let spec = Spec::Abs(1e-30);
    assert!(f32_within_spec(&spec, f32::MIN_POSITIVE, 0.0));
    assert!(f32_within_spec(&spec, -f32::MIN_POSITIVE, f32::from_bits(0x8000_0001)));
    assert!(f64_within_spec(&spec, 1e-300, 0.0));
    assert!(!f32_within_spec(&Spec::Rel(0.5), f32::MIN_POSITIVE, 0.0));
}

#[test]
fn lossless_allows_no_change() {
    assert!(!f32_within_spec(&Spec::Lossless, 1.0, next_up32(1.0)));
    assert!(!f64_within_spec(&Spec::Lossless, -3.0, f64::from_bits((-3.0f64).to_bits() + 1)));
}

#[test]
fn bits_bound_is_inclusive_and_exact() {
    for n in [1u8, 10, 23] {
        let spec = Spec::Bits(n);
        let half_ulp = 2f32.powi(-(n as i32) - 1);
        // x = 1 and -2: |y - x| == 2^-(N+1)|x| is allowed, one float32 step further is not
        assert!(f32_within_spec(&spec, 1.0, 1.0 + half_ulp), "bits:{n}");
        assert!(f32_within_spec(&spec, 1.0, 1.0 - half_ulp), "bits:{n}");
        assert!(!f32_within_spec(&spec, 1.0, next_up32(1.0 + half_ulp)), "bits:{n}");
        assert!(f32_within_spec(&spec, -2.0, -2.0 - 2.0 * half_ulp), "bits:{n}");
        assert!(!f32_within_spec(&spec, -2.0, -next_up32(2.0 + 2.0 * half_ulp)), "bits:{n}");
    }
    for n in [1u8, 30, 52] {
        let spec = Spec::Bits(n);
        let half_ulp = 2f64.powi(-(n as i32) - 1);
        assert!(f64_within_spec(&spec, 1.0, 1.0 + half_ulp), "bits:{n}");
        assert!(!f64_within_spec(&spec, 1.0, next_up64(1.0 + half_ulp)), "bits:{n}");
        assert!(f64_within_spec(&spec, -1.0, -1.0 - half_ulp), "bits:{n}");
    }
}

#[test]
fn rel_bound_is_inclusive_and_exact() {
    let spec = Spec::Rel(0.25);
    assert!(f32_within_spec(&spec, 4.0, 5.0) && f32_within_spec(&spec, -4.0, -3.0));
    assert!(!f32_within_spec(&spec, 4.0, next_up32(5.0)));
    assert!(!f32_within_spec(&spec, 4.0, -4.0), "a sign flip is far outside any relative bound");
    assert!(f64_within_spec(&spec, 4.0, 5.0));
    assert!(!f64_within_spec(&spec, 4.0, next_up64(5.0)));
    // the same edge through ae:rel
    let ae = Spec::Ae { bound: Bound::Rel(0.25), model: "m".into() };
    assert!(f32_within_spec(&ae, 4.0, 5.0) && !f32_within_spec(&ae, 4.0, next_up32(5.0)));
}

#[test]
fn abs_bound_is_inclusive_and_exact() {
    let spec = Spec::Abs(0.5);
    assert!(f32_within_spec(&spec, 10.0, 10.5) && f32_within_spec(&spec, 10.0, 9.5));
    assert!(!f32_within_spec(&spec, 10.0, next_up32(10.5)));
    assert!(f32_within_spec(&spec, 0.25, -0.25), "abs allows crossing zero");
    assert!(f64_within_spec(&spec, -1e6, -1e6 + 0.5));
    // -999999.5 one step towards zero: just over 0.5 away from -1e6
    assert!(!f64_within_spec(&spec, -1e6, f64::from_bits((-1e6f64 + 0.5).to_bits() - 1)));
    let ae = Spec::Ae { bound: Bound::Abs(0.5), model: "m".into() };
    assert!(f64_within_spec(&ae, 10.0, 10.5) && !f64_within_spec(&ae, 10.0, next_up64(10.5)));
}

#[test]
fn ae_bits_bound_is_the_bits_bound() {
    let ae = Spec::Ae { bound: Bound::Bits(10), model: "m".into() };
    let half_ulp = 2f32.powi(-11);
    assert!(f32_within_spec(&ae, 1.0, 1.0 + half_ulp));
    assert!(!f32_within_spec(&ae, 1.0, next_up32(1.0 + half_ulp)));
}
