//! Codec spec grammar: `lossless | bits:N | rel:E | abs:E | ae:BOUND:MODEL`.

use std::fmt;
use std::str::FromStr;

/// The grammar shown in every spec error message.
pub const GRAMMAR: &str = "lossless | bits:N | rel:E | abs:E | ae:BOUND:MODEL \
(N integer 1..=52; float32 values keep every bit from 23 on), E a number such as 1e-3 or 2^-11, rel: 0 < E < 1, abs: 0 < E <= 8.98e307, \
BOUND one of bits:N, rel:E, abs:E; MODEL a .balm path or a model id)";

/// How float values are stored. See `docs/format.md` and INTERFACE.md for guarantees.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// Bit-exact.
    Lossless,
    /// Mantissa rounded to N bits, round to nearest: |x'-x| <= 2^-(N+1)|x|.
    Bits(u8),
    /// Relative bound: |x'-x| <= E|x|, 0 < E < 1.
    Rel(f64),
    /// Absolute bound: |x'-x| <= E, E > 0.
    Abs(f64),
    /// Autoencoder MODEL with an error bound (grammar only, encoding not implemented yet).
    Ae { bound: Bound, model: String },
}

/// The error bounds usable inside `ae:`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Bits(u8),
    Rel(f64),
    Abs(f64),
}

/// A malformed spec. `Display` names the bad part and shows the grammar.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid codec spec \"{spec}\": {reason}; grammar: {GRAMMAR}")]
pub struct SpecError {
    /// The whole spec text as given.
    pub spec: String,
    /// What is wrong, naming the bad part.
    pub reason: String,
}

fn err<T>(spec: &str, reason: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError { spec: spec.to_string(), reason: reason.into() })
}

/// Parses a bound value: a decimal/scientific number, or `2^-K` / `2^K`.
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(exp) = s.strip_prefix("2^") {
        let k: i32 = exp.parse().ok()?;
        // exactly, subnormal powers (2^-1074 to 2^-1023) too, which powi gives as 0; beyond the
        // doubles' range 0 or infinity, which the bounds then refuse as they refuse 1e-400 and 1e309
        return Some(match k {
            ..=-1075 => 0.0,
            -1074..=-1023 => f64::from_bits(1 << (k + 1074)),
            -1022..=1023 => f64::from_bits(((k + 1023) as u64) << 52),
            _ => f64::INFINITY,
        });
    }
    // Reject things f64::from_str accepts but are not numbers for us.
    let lower = s.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    s.parse::<f64>().ok()
}

fn fmt_number(v: f64) -> String {
    // Both forms are exact round-trip representations; take the shorter.
    let a = format!("{v}");
    let b = format!("{v:e}");
    if b.len() < a.len() {
        b
    } else {
        a
    }
}

fn parse_bound(whole: &str, kind: &str, value: &str) -> Result<Bound, SpecError> {
    match kind {
        "bits" => {
            let n: u32 = match value.trim().parse() {
                Ok(n) => n,
                Err(_) => return err(whole, format!("bits \"{value}\" is not an integer")),
            };
            if !(1..=52).contains(&n) {
                return err(whole, format!("bits {n} out of range: N must satisfy 1 <= N <= 52"));
            }
            Ok(Bound::Bits(n as u8))
        }
        "rel" => {
            let Some(e) = parse_number(value) else {
                return err(whole, format!("relative bound \"{value}\" is not a number"));
            };
            if !(e > 0.0 && e < 1.0) {
                return err(whole, format!("relative bound {value} must satisfy 0 < E < 1"));
            }
            Ok(Bound::Rel(e))
        }
        "abs" => {
            let Some(e) = parse_number(value) else {
                return err(whole, format!("absolute bound \"{value}\" is not a number"));
            };
            // the quantiser's step, 2E, is stored as a double: above f64::MAX / 2 it was infinite,
            // and every block written with it failed to read ("abs codec with a bad step")
            if !(e > 0.0 && (2.0 * e).is_finite()) {
                return err(whole, format!("absolute bound {value} must satisfy 0 < E <= {:e} (2E a finite double)", f64::MAX / 2.0));
            }
            Ok(Bound::Abs(e))
        }
        other => err(whole, format!("unknown codec \"{other}\"")),
    }
}

impl FromStr for Spec {
    type Err = SpecError;

    fn from_str(whole: &str) -> Result<Spec, SpecError> {
        let s = whole.trim();
        if s.is_empty() {
            return err(whole, "empty spec");
        }
        if s == "lossless" {
            return Ok(Spec::Lossless);
        }
        let Some((kind, rest)) = s.split_once(':') else {
            return match s {
                "bits" | "rel" | "abs" => err(whole, format!("\"{s}\" needs a value, e.g. {s}:...")),
                "ae" => err(whole, "\"ae\" needs a bound and a model, e.g. ae:rel:1e-3:model.balm"),
                _ => err(whole, format!("unknown codec \"{s}\"")),
            };
        };
        match kind {
            "lossless" => err(whole, "\"lossless\" takes no parameter"),
            "ae" => {
                // The bound's kind first: in `ae:lossless:m.balm` the model is there, the bound is not.
                if rest.split(':').next() == Some("lossless") {
                    return err(whole, "ae bound cannot be lossless: a model saves bytes only within a bound (bits:N, rel:E or abs:E); for exact values use the spec lossless");
                }
                let Some((bkind, brest)) = rest.split_once(':') else {
                    return err(whole, format!("ae bound \"{rest}\" incomplete: expected ae:BOUND:MODEL with BOUND bits:N, rel:E or abs:E"));
                };
                if !matches!(bkind, "bits" | "rel" | "abs") {
                    return err(whole, format!("ae bound kind \"{bkind}\" unknown: use bits, rel or abs"));
                }
                let Some((bval, model)) = brest.split_once(':') else {
                    return err(whole, "ae MODEL missing: expected ae:BOUND:MODEL");
                };
                let bound = parse_bound(whole, bkind, bval)?;
                if model.trim().is_empty() {
                    return err(whole, "ae MODEL is empty");
                }
                // blanks around the model, as around the spec and the bound's value
                Ok(Spec::Ae { bound, model: model.trim().to_string() })
            }
            "bits" | "rel" | "abs" => Ok(match parse_bound(whole, kind, rest)? {
                Bound::Bits(n) => Spec::Bits(n),
                Bound::Rel(e) => Spec::Rel(e),
                Bound::Abs(e) => Spec::Abs(e),
            }),
            other => err(whole, format!("unknown codec \"{other}\"")),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Bits(n) => write!(f, "bits:{n}"),
            Bound::Rel(e) => write!(f, "rel:{}", fmt_number(*e)),
            Bound::Abs(e) => write!(f, "abs:{}", fmt_number(*e)),
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Lossless => write!(f, "lossless"),
            Spec::Bits(n) => write!(f, "bits:{n}"),
            Spec::Rel(e) => write!(f, "rel:{}", fmt_number(*e)),
            Spec::Abs(e) => write!(f, "abs:{}", fmt_number(*e)),
            Spec::Ae { bound, model } => write!(f, "ae:{bound}:{model}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(s: &str, part: &str) {
        let e = s.parse::<Spec>().unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(part), "message for {s:?} should name {part:?}: {msg}");
        assert!(msg.contains("grammar: lossless | bits:N"), "message must show grammar: {msg}");
        assert!(msg.contains(&format!("\"{s}\"")), "message must quote the spec: {msg}");
    }

    /// Good specs parse to the expected value and Display is canonical: parse(display(s)) == s.
    #[test]
    fn parse_good_and_round_trip() {
        let cases: Vec<(&str, Spec)> = vec![
            ("lossless", Spec::Lossless),
            ("bits:10", Spec::Bits(10)),
            ("bits:1", Spec::Bits(1)),
            ("bits:52", Spec::Bits(52)),
            ("rel:1e-3", Spec::Rel(1e-3)),
            ("rel:2^-11", Spec::Rel(2f64.powi(-11))),
            ("rel:0.5", Spec::Rel(0.5)),
            ("abs:0.01", Spec::Abs(0.01)),
            ("abs:1e300", Spec::Abs(1e300)),
            ("abs:8.9e307", Spec::Abs(8.9e307)),
            ("abs:2^-20", Spec::Abs(2f64.powi(-20))),
            // subnormal powers of two (they parsed as 0 and were refused as not above it)
            ("abs:2^-1030", Spec::Abs(f64::from_bits(1 << 44))),
            ("rel:2^-1074", Spec::Rel(5e-324)),
            ("abs:2^1022", Spec::Abs(2f64.powi(1022))),
            (" bits:12 ", Spec::Bits(12)),
            ("ae:rel:1e-3:model.balm", Spec::Ae { bound: Bound::Rel(1e-3), model: "model.balm".into() }),
            ("ae:bits:10:cms-jets-v1", Spec::Ae { bound: Bound::Bits(10), model: "cms-jets-v1".into() }),
            ("ae:abs:0.5:C:/m/x.balm", Spec::Ae { bound: Bound::Abs(0.5), model: "C:/m/x.balm".into() }),
            // a blank after the bound's colon, as `bits: 5` allows (a model path read " m.balm")
            ("ae:bits:10: m.balm ", Spec::Ae { bound: Bound::Bits(10), model: "m.balm".into() }),
        ];
        for (text, want) in cases {
            let got: Spec = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got, want, "{text}");
            let canon = got.to_string();
            assert_eq!(canon.parse::<Spec>().unwrap(), got, "round trip of {canon}");
        }
        assert_eq!(Spec::Rel(1e-300).to_string(), "rel:1e-300");
        assert_eq!(Spec::Rel(0.001).to_string(), "rel:1e-3");
        assert_eq!(Spec::Abs(0.25).to_string(), "abs:0.25");
        for e in [1e-3, 0.1 + 0.2, 2f64.powi(-11), 5e-324, 0.9999999999999999] {
            let s = Spec::Rel(e);
            assert_eq!(s.to_string().parse::<Spec>().unwrap(), s);
        }
    }

    /// Bad specs are rejected, and the message names the bad part and shows the grammar.
    #[test]
    fn parse_bad_names_the_bad_part() {
        bad("rel:2", "relative bound 2 must satisfy 0 < E < 1");
        bad("rel:0", "0 < E < 1");
        bad("rel:-1e-3", "0 < E < 1");
        bad("rel:abc", "relative bound \"abc\" is not a number");
        bad("rel:nan", "not a number");
        bad("abs:0", "absolute bound 0 must satisfy 0 < E");
        bad("abs:inf", "not a number");
        bad("abs:2^-1075", "absolute bound 2^-1075 must satisfy 0 < E");
        bad("rel:2^0", "relative bound 2^0 must satisfy 0 < E < 1");
        bad("abs:2^1023", "absolute bound 2^1023 must satisfy 0 < E <= 8.988465674311579e307");
        bad("abs:2^5000", "absolute bound 2^5000 must satisfy 0 < E");
        bad("abs:1e308", "absolute bound 1e308 must satisfy 0 < E <= 8.988465674311579e307 (2E a finite double)");
        bad("ae:abs:9e307:m.balm", "2E a finite double");
        bad("abs:", "not a number");
        bad("bits:0", "bits 0 out of range");
        bad("bits:53", "bits 53 out of range");
        bad("bits:x", "bits \"x\" is not an integer");
        bad("bits", "needs a value");
        bad("zstd:5", "unknown codec \"zstd\"");
        bad("lossy", "unknown codec \"lossy\"");
        bad("", "empty spec");
        bad("lossless:1", "takes no parameter");
        bad("ae:rel:1e-3", "MODEL missing");
        bad("ae:rel:1e-3:", "MODEL is empty");
        bad("ae:foo:1:m", "bound kind \"foo\"");
        bad("ae:lossless:m.balm", "ae bound cannot be lossless");
        bad("ae:lossless", "ae bound cannot be lossless");
        bad("ae:rel:7:m", "0 < E < 1");
        bad("ae", "needs a bound and a model");
    }
}
