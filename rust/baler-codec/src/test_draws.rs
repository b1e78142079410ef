//! Reproducible random draws for the unit tests, without a random-number crate.

/// Uniform draws in [0, 1) from a xorshift generator started at `seed` (not 0).
pub(crate) fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A standard normal draw from two uniform ones in [0, 1) (Box-Muller).
pub(crate) fn gaussian(u: f64, v: f64) -> f64 {
    (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}
