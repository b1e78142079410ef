//! Fitting an object model to the members' values: which members carry information, which are
//! predicted from the decoded values of the carriers, and the predictors' coefficients.
//!
//! Every choice is made on what the codec pays, measured by coding the training values: a
//! member's cost is the bytes of its float section, per value or with its context (`object.rs`).
//! Greedily, the member whose prediction from the remaining carriers saves the most bytes (after
//! refitting the members already predicted, which lose it as context) becomes predicted, until no
//! move saves bytes; then each predicted member drops the context members it does not need,
//! so that reading it fetches as few other baskets as possible.

use crate::ae::per_value_spec;
use crate::error::CodecError;
use crate::float::{self, Flt};
use crate::object::{self, ObjectCoding};
use crate::object_model::{Member, ObjectModel, Predictor};
use crate::spec::Bound;

/// Bytes of model per context coefficient (an f64 and a member index), charged against a
/// predictor's saving so that a context member that saves less is dropped.
const COEFFICIENT_BYTES: usize = 9;

/// What a member's values cost: its float section's bytes per value, and as the model codes it.
#[derive(Debug, Clone)]
pub struct MemberCost {
    pub name: String,
    pub values: usize,
    pub per_value_bytes: usize,
    pub fitted_bytes: usize,
}

/// Fits an object model to `columns` (one per member, all of the same length: value i of every
/// column belongs to object i) for `bound`; `is_f32` says how the values are stored. Returns the
/// model and, per member, the bytes of its section on these values per value and as fitted.
pub fn fit_object_model(names: &[String], columns: &[Vec<f64>], bound: &Bound, is_f32: bool) -> Result<(ObjectModel, Vec<MemberCost>), CodecError> {
    if names.len() != columns.len() || names.is_empty() || columns.iter().any(|c| c.len() != columns[0].len()) {
        return Err(CodecError::InvalidArgument(format!("fit_object_model: {} names for {} columns of unequal or no length", names.len(), columns.len())));
    }
    if is_f32 {
        Fitter::<f32>::new(names, columns, bound)?.fit()
    } else {
        Fitter::<f64>::new(names, columns, bound)?.fit()
    }
}

/// What `model` costs on `columns` (one per member, in the model's order), per member: its
/// float section's bytes per value and as the model codes it (per value where that is smaller).
/// For measuring a model on values it was not fitted to.
pub fn object_model_costs(model: &ObjectModel, columns: &[Vec<f64>], bound: &Bound, is_f32: bool) -> Result<Vec<MemberCost>, CodecError> {
    let names: Vec<String> = model.members().iter().map(|m| m.name.clone()).collect();
    if columns.len() != names.len() || columns.iter().any(|c| c.len() != columns[0].len()) {
        return Err(CodecError::InvalidArgument(format!("object_model_costs: {} columns of unequal length for {} members", columns.len(), names.len())));
    }
    if is_f32 {
        Fitter::<f32>::new(&names, columns, bound)?.report(model)
    } else {
        Fitter::<f64>::new(&names, columns, bound)?.report(model)
    }
}

struct Fitter<'a, T: Flt> {
    names: &'a [String],
    columns: Vec<Vec<T>>,
    /// The columns as the decoder gives them back (what a prediction sees).
    decoded: Vec<Vec<f64>>,
    bound: Bound,
    per_value: Vec<usize>,
    /// Per member, the objects whose value may be one of its sentinels ([`sentinel_rows`]).
    sentinel_rows: Vec<Vec<bool>>,
}

impl<'a, T: Flt> Fitter<'a, T> {
    fn new(names: &'a [String], columns: &[Vec<f64>], bound: &Bound) -> Result<Self, CodecError> {
        let spec = per_value_spec(bound);
        let columns: Vec<Vec<T>> = columns.iter().map(|c| c.iter().map(|&x| T::from_f64(x)).collect()).collect();
        let mut decoded = Vec::new();
        let mut per_value = Vec::new();
        for c in &columns {
            let (mut out, mut recon) = (Vec::new(), Vec::new());
            float::encode(c, &spec, &mut out, &mut recon)?;
            per_value.push(out.len());
            decoded.push(recon.iter().map(|x| x.to_f64()).collect());
        }
        let sentinel_rows = columns.iter().map(|c| sentinel_rows(c)).collect();
        Ok(Fitter { names, columns, decoded, bound: bound.clone(), per_value, sentinel_rows })
    }

    /// Relative bounds weigh each object's error by its size (the codes are logarithmic).
    fn relative(&self) -> bool {
        !matches!(self.bound, Bound::Abs(_))
    }

    /// What choosing `predictor` for member `j` costs: its section's bytes, and the model's
    /// bytes for its coefficients.
    fn cost(&self, j: usize, predictor: &Predictor) -> Result<usize, CodecError> {
        let bytes = self.section_bytes(j, predictor)?;
        Ok(if bytes < self.per_value[j] { bytes + COEFFICIENT_BYTES * predictor.context().len() } else { bytes })
    }

    /// Bytes of member `j`'s float section with `predictor` (per value where that is smaller, as
    /// the writer chooses).
    fn section_bytes(&self, j: usize, predictor: &Predictor) -> Result<usize, CodecError> {
        if *predictor == Predictor::Carrier {
            return Ok(self.per_value[j]);
        }
        let members: Vec<Member> = self.names.iter().enumerate().map(|(i, n)| Member { name: n.clone(), predictor: if i == j { predictor.clone() } else { Predictor::Carrier } }).collect();
        let model = ObjectModel::new(members)?;
        let context: Vec<&[f64]> = predictor.context().iter().map(|&c| self.decoded[c].as_slice()).collect();
        let coding = ObjectCoding { model: &model, member: j, first_entry: 0, entries: 0, context: &context, offsets: None };
        let (mut out, mut recon) = (Vec::new(), Vec::new());
        let coded = object::encode(&self.columns[j], &self.bound, &coding, &mut out, &mut recon)?;
        Ok(if coded { out.len().min(self.per_value[j]) } else { self.per_value[j] })
    }

    /// The cheapest of a linear and a norm predictor of member `j` from `context`, each fitted to
    /// every object and again without those where one of these members may hold a sentinel, and
    /// its cost. A -999 standing for "not measured" lies far from the other objects and pulls a
    /// least-squares fit to itself: in 1% of the objects, it made a fitted energy 9 times dearer.
    fn best_predictor(&self, j: usize, context: &[usize]) -> Result<(Predictor, usize), CodecError> {
        let mut best = (Predictor::Carrier, self.per_value[j]);
        if context.is_empty() {
            return Ok(best);
        }
        let without_sentinels = self.rows_without_sentinels(j, context);
        for norm in [false, true] {
            let all = self.least_squares(j, context, norm, None);
            let trimmed = without_sentinels.as_ref().and_then(|keep| self.least_squares(j, context, norm, Some(keep)));
            for predictor in all.into_iter().chain(trimmed) {
                let cost = self.cost(j, &predictor)?;
                if cost < best.1 {
                    best = (predictor, cost);
                }
            }
        }
        Ok(best)
    }

    /// The objects where neither member `j` nor a member of `context` holds a sentinel; None where
    /// none holds one.
    fn rows_without_sentinels(&self, j: usize, context: &[usize]) -> Option<Vec<bool>> {
        let mut keep = vec![true; self.decoded[j].len()];
        for &c in std::iter::once(&j).chain(context) {
            for (k, &sentinel) in keep.iter_mut().zip(&self.sentinel_rows[c]) {
                *k &= !sentinel;
            }
        }
        keep.contains(&false).then_some(keep)
    }

    /// Weighted least squares of x (linear) or x² (norm) on the context's values (or squares),
    /// with an intercept, over the objects `keep` marks (all where None); None when the system is
    /// singular or has too few usable rows.
    fn least_squares(&self, j: usize, context: &[usize], norm: bool, keep: Option<&[bool]>) -> Option<Predictor> {
        let d = context.len() + 1;
        let (mut a, mut b) = (vec![0.0; d * d], vec![0.0; d]);
        let mut f = vec![0.0; d];
        let target = &self.decoded[j];
        // features scaled by their magnitude, so the normal equations stay well conditioned
        let mut scale = vec![1.0; d];
        for (k, &c) in context.iter().enumerate() {
            let m = self.decoded[c].iter().filter(|x| x.is_finite()).fold(0f64, |m, x| m.max(if norm { x * x } else { x.abs() }));
            scale[k + 1] = if m > 0.0 { m } else { 1.0 };
        }
        let mut rows = 0usize;
        for i in 0..target.len() {
            let x = target[i];
            let y = if norm { x * x } else { x };
            if !y.is_finite() || (self.relative() && x == 0.0) || keep.is_some_and(|keep| !keep[i]) {
                continue;
            }
            let w = match (self.relative(), norm) {
                (true, false) => 1.0 / (x * x),
                (true, true) => 1.0 / (y * y),
                (false, false) => 1.0,
                (false, true) => 1.0 / (x * x).max(f64::MIN_POSITIVE),
            };
            f[0] = 1.0;
            for (k, &c) in context.iter().enumerate() {
                let v = self.decoded[c][i];
                f[k + 1] = if norm { v * v } else { v } / scale[k + 1];
            }
            if f.iter().any(|v| !v.is_finite()) || !w.is_finite() {
                continue;
            }
            rows += 1;
            for p in 0..d {
                b[p] += w * f[p] * y;
                for q in 0..d {
                    a[p * d + q] += w * f[p] * f[q];
                }
            }
        }
        if rows < 2 * d {
            return None;
        }
        for p in 0..d {
            a[p * d + p] *= 1.0 + 1e-12; // a trace of ridge: collinear members stay solvable
        }
        let solution = solve(a, b, d)?;
        let bias = solution[0];
        let weights: Vec<f64> = (1..d).map(|k| solution[k] / scale[k]).collect();
        if !bias.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return None;
        }
        Some(if norm { Predictor::Norm { context: context.to_vec(), bias, weights } } else { Predictor::Linear { context: context.to_vec(), bias, weights } })
    }

    fn fit(self) -> Result<(ObjectModel, Vec<MemberCost>), CodecError> {
        let m = self.names.len();
        let mut predictors = vec![Predictor::Carrier; m];
        let mut costs = self.per_value.clone();
        loop {
            let carriers: Vec<usize> = (0..m).filter(|&i| predictors[i] == Predictor::Carrier).collect();
            let mut best: Option<(i64, usize, Vec<(usize, Predictor, usize)>)> = None;
            for &j in &carriers {
                let others: Vec<usize> = carriers.iter().copied().filter(|&c| c != j).collect();
                let (p, cost) = self.best_predictor(j, &others)?;
                if p == Predictor::Carrier {
                    continue;
                }
                let mut moves = vec![(j, p, cost)];
                let mut saving = costs[j] as i64 - cost as i64;
                for i in (0..m).filter(|&i| predictors[i] != Predictor::Carrier) {
                    let (q, c) = self.best_predictor(i, &others)?;
                    saving -= c as i64 - costs[i] as i64;
                    moves.push((i, q, c));
                }
                if saving > 0 && best.as_ref().is_none_or(|b| saving > b.0) {
                    best = Some((saving, j, moves));
                }
            }
            let Some((_, _, moves)) = best else { break };
            for (i, p, c) in moves {
                predictors[i] = p;
                costs[i] = c;
            }
        }
        // fewer context members: fewer baskets to fetch when reading, fewer model bytes
        for j in 0..m {
            let mut context = predictors[j].context().to_vec();
            let mut k = 0;
            while k < context.len() && context.len() > 1 {
                let mut fewer = context.clone();
                fewer.remove(k);
                let (p, c) = self.best_predictor(j, &fewer)?;
                if p != Predictor::Carrier && c <= costs[j] {
                    predictors[j] = p;
                    costs[j] = c;
                    context = fewer;
                } else {
                    k += 1;
                }
            }
        }
        let members: Vec<Member> = self.names.iter().zip(&predictors).map(|(n, p)| Member { name: n.clone(), predictor: p.clone() }).collect();
        let model = ObjectModel::new(members)?;
        let report = self.report(&model)?;
        Ok((model, report))
    }

    fn report(&self, model: &ObjectModel) -> Result<Vec<MemberCost>, CodecError> {
        (0..self.names.len())
            .map(|j| {
                Ok(MemberCost { name: self.names[j].clone(), values: self.columns[j].len(), per_value_bytes: self.per_value[j], fitted_bytes: self.section_bytes(j, &model.members()[j].predictor)? })
            })
            .collect()
    }
}

/// How often a value must repeat to be taken for a possible sentinel: four -999 among 5,014
/// objects halved what a model saved.
const SENTINEL_REPEATS: usize = 4;

/// The largest share of a column's objects that its possible sentinels may fill ([`sentinel_rows`]).
const SENTINEL_ROWS_MAX: f64 = 0.25;

/// The objects whose value in `column` may be a sentinel: a non-zero value repeated exactly in
/// at least [`SENTINEL_REPEATS`] objects, as -999 for "not measured" is. Values rounded
/// upstream repeat too: the fit without them is only a candidate, kept where it costs less. A
/// column where such values fill more than [`SENTINEL_ROWS_MAX`] of the objects is discrete (a
/// charge of ±1 stored as a float, a quality word), not one with sentinels: none of its objects
/// is left out, or every fit it takes part in would lose them all.
fn sentinel_rows<T: Flt>(column: &[T]) -> Vec<bool> {
    let is_zero = |x: &T| x.to_f64() == 0.0;
    let mut counts: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for x in column.iter().filter(|x| !is_zero(x)) {
        *counts.entry(x.bits()).or_default() += 1;
    }
    let rows: Vec<bool> = column.iter().map(|x| !is_zero(x) && counts[&x.bits()] >= SENTINEL_REPEATS).collect();
    let flagged = rows.iter().filter(|&&r| r).count();
    if flagged as f64 > SENTINEL_ROWS_MAX * column.len() as f64 {
        return vec![false; column.len()];
    }
    rows
}

/// Solves the d x d system a·x = b by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, d: usize) -> Option<Vec<f64>> {
    for col in 0..d {
        let pivot = (col..d).max_by(|&p, &q| a[p * d + col].abs().total_cmp(&a[q * d + col].abs()))?;
        if a[pivot * d + col].abs() < 1e-300 {
            return None;
        }
        for k in 0..d {
            a.swap(col * d + k, pivot * d + k);
        }
        b.swap(col, pivot);
        for row in col + 1..d {
            let factor = a[row * d + col] / a[col * d + col];
            for k in col..d {
                a[row * d + k] -= factor * a[col * d + k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; d];
    for row in (0..d).rev() {
        let s: f64 = (row + 1..d).map(|k| a[row * d + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * d + row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Muon-like 4-vectors (E = sqrt(p² + m²)), an unrelated column and a charge of ±1 stored as
    /// a float (discrete: all its values repeat), 4000 objects; a share `sentinels` of the Px and,
    /// independently, of the E values replaced by -999.
    fn muons(sentinels: f64) -> (Vec<String>, Vec<Vec<f64>>) {
        let mut state = 12345u64;
        let mut uniform = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 4000;
        let mut cols = vec![Vec::with_capacity(n); 6];
        for i in 0..n {
            let pt = 20.0 / (0.05 + uniform());
            let phi = 6.283 * uniform();
            let eta = 5.0 * uniform() - 2.5;
            let (mut px, py, pz) = (pt * phi.cos(), pt * phi.sin(), pt * eta.sinh());
            let mut e = (px * px + py * py + pz * pz + 0.105 * 0.105).sqrt();
            if uniform() < sentinels {
                px = -999.0;
            }
            if uniform() < sentinels {
                e = -999.0;
            }
            let charge = if i % 3 == 0 { 1.0 } else { -1.0 };
            for (c, v) in cols.iter_mut().zip([px, py, pz, e, 3.0 * uniform(), charge]) {
                c.push(v as f32 as f64);
            }
        }
        (["Px", "Py", "Pz", "E", "Iso", "Q"].iter().map(|s| s.to_string()).collect(), cols)
    }

    /// E is predicted from the momenta with a norm, the momenta and the unrelated column carry,
    /// and E's bytes fall.
    #[test]
    fn energy_from_momentum() {
        let (names, cols) = muons(0.0);
        let (model, report) = fit_object_model(&names, &cols, &Bound::Bits(10), true).unwrap();
        let e = &model.members()[3];
        assert!(matches!(e.predictor, Predictor::Norm { .. }), "{:?}", e.predictor);
        assert_eq!(model.context_names(3), ["Px", "Py", "Pz"]);
        for j in [0, 1, 2, 4, 5] {
            assert_eq!(model.members()[j].predictor, Predictor::Carrier, "{}", names[j]);
        }
        assert!(report[3].fitted_bytes * 4 < report[3].per_value_bytes, "{report:?}");
    }

    /// With -999 ("not measured") in 0.1% or 1% of the Px and E values, E is still predicted from
    /// all three momenta and its bytes fall as far, for a relative and an absolute bound: the
    /// sentinels' objects, far from the others, would otherwise drag the fit (before the fit
    /// without them, at 1%, E was fitted from Py and Pz alone and kept 77% of its bytes). The
    /// charge, all of whose values repeat, is no column of sentinels: taken for one, it left
    /// every object out of the second fit of any member it was context of.
    #[test]
    fn energy_from_momentum_among_sentinels() {
        for (share, bound) in [(0.001, Bound::Bits(10)), (0.01, Bound::Bits(10)), (0.01, Bound::Abs(0.01))] {
            let (names, cols) = muons(share);
            let (model, report) = fit_object_model(&names, &cols, &bound, true).unwrap();
            assert!(matches!(model.members()[3].predictor, Predictor::Norm { .. }), "{share} {bound:?}: {:?}", model.members()[3]);
            assert_eq!(model.context_names(3), ["Px", "Py", "Pz"], "{share} {bound:?}");
            assert!(report[3].fitted_bytes * 4 < report[3].per_value_bytes, "{share} {bound:?}: {report:?}");
        }
    }
}
