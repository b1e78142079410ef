//! A linear model fitted to data: principal components of the normalised features. It needs no
//! training run, so it is the baseline a trained model must beat, and the tests' model.

use super::{stored_normalisation, DenseLayer, Model, ModelParts, Transform};
use crate::error::CodecError;

/// The feature of `x`, or None where the transform cannot take it (non-finite values; zeros and
/// subnormals under the log transform).
fn feature(transform: Transform, x: f64) -> Option<f64> {
    match transform {
        Transform::Linear => x.is_finite().then_some(x),
        Transform::Log2Magnitude => x.is_normal().then(|| x.abs().log2()),
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major k x k matrix) of the symmetric
/// matrix `a`, by cyclic Jacobi rotations.
fn symmetric_eigen(mut a: Vec<f64>, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; k * k];
    for i in 0..k {
        v[i * k + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..k).flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * k + j] * a[i * k + j]).sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = a[p * k + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * k + q] - a[p * k + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[r * k + p], a[r * k + q]);
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[p * k + r], a[q * k + r]);
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for r in 0..k {
                    let (vrp, vrq) = (v[r * k + p], v[r * k + q]);
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
        }
    }
    ((0..k).map(|i| a[i * k + i]).collect(), v)
}

/// Fits a linear autoencoder to `rows` (row-major, `k` values per row): each column normalised
/// to mean 0 and standard deviation 1 (a constant column gets scale 1), encoder and decoder the
/// `latent` leading principal directions, scaled so that one latent code is `latent_step`
/// normalised units.
pub fn fit_linear(rows: &[f64], k: usize, latent: usize, transform: Transform, latent_step: f64) -> Result<Model, CodecError> {
    if k == 0 || rows.len() % k != 0 || latent == 0 || latent > k || latent_step.is_nan() || latent_step <= 0.0 {
        return Err(CodecError::InvalidArgument(format!("fit_linear: {} values, k = {k}, latent = {latent}, step = {latent_step}", rows.len())));
    }
    let n = rows.len() / k;
    let mut offset = vec![0.0; k];
    let mut scale = vec![1.0; k];
    for j in 0..k {
        let f: Vec<f64> = (0..n).filter_map(|i| feature(transform, rows[i * k + j])).collect();
        if f.is_empty() {
            continue;
        }
        let mean = f.iter().sum::<f64>() / f.len() as f64;
        let var = f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f.len() as f64;
        offset[j] = stored_normalisation(mean);
        if var.sqrt() > 1e-12 {
            scale[j] = stored_normalisation(var.sqrt());
        }
    }
    let mut cov = vec![0.0; k * k];
    let mut z = vec![0.0; k];
    for i in 0..n {
        for j in 0..k {
            z[j] = feature(transform, rows[i * k + j]).map_or(0.0, |t| (t - offset[j]) / scale[j]);
        }
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] += z[a] * z[b] / n.max(1) as f64;
            }
        }
    }
    let (values, vectors) = symmetric_eigen(cov, k);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let direction = |l: usize, j: usize| vectors[j * k + order[l]];
    let encoder = DenseLayer {
        inputs: k,
        outputs: latent,
        weights: (0..latent).flat_map(|l| (0..k).map(move |j| (direction(l, j) / latent_step) as f32)).collect(),
        bias: vec![0.0; latent],
    };
    let decoder = DenseLayer {
        inputs: latent,
        outputs: k,
        weights: (0..k).flat_map(|j| (0..latent).map(move |l| (direction(l, j) * latent_step) as f32)).collect(),
        bias: vec![0.0; k],
    };
    Model::from_parts(&ModelParts { transform, offset, scale, layers: vec![encoder, decoder], encoder_layers: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, directions (1, 1) and (1, -1)
        let (vals, vecs) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let big = if vals[0] > vals[1] { 0 } else { 1 };
        assert!((vals[big] - 3.0).abs() < 1e-12 && (vals[1 - big] - 1.0).abs() < 1e-12);
        assert!((vecs[big].abs() - vecs[2 + big].abs()).abs() < 1e-12);
        assert!(vecs[big] * vecs[2 + big] > 0.0);
    }
}
