//! The autoencoder the `ae:` codec runs, and its training.
//!
//! Each value x of a row is first mapped to a feature t (for relative bounds `bits`/`rel`, the
//! base-2 log of |x|, the sign travelling apart as in the per-value codec; for `abs`, x itself),
//! then normalised per column: z = (t - offset) / scale. The network is a multilayer perceptron
//! K -> H -> L -> H -> K (or K -> L -> K without hidden layers) with leaky-ReLU activations of
//! slope 1/8 (piecewise linear, exact in fixed point); its L-wide middle is the latent, rounded to
//! integers when coding. The codec stores the latent and, for every value, the difference between
//! the value's code and its prediction's code under the bound's per-value quantiser.
//!
//! Training minimises what that costs (quantisation-aware): the latent is perturbed by uniform
//! noise of one quantisation step (the rounding's differentiable stand-in) and the loss is a
//! bit count per value, log2(1 + |latent|) per latent number plus log2(1 + c_j |z_j - zhat_j|)
//! per value, where c_j converts column j's normalised error into quantiser code steps. MSE would
//! spend the model on the large errors; the codec pays in logarithms of the residual codes.

use std::ops::Range;

use baler_codec::{stored_normalisation, Bound, DenseLayer, ModelParts, Transform};
use indicatif::{ProgressBar, ProgressStyle};
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use crate::dataset::Dataset;

/// Slope of the activation below zero: a power of two, so fixed-point inference shifts.
pub const LEAKY_SLOPE: f64 = 0.125;

/// The feature transform a bound's quantiser calls for: relative bounds code magnitudes on a
/// logarithmic grid (log2|x|, sign apart), absolute bounds on a linear one (x).
pub fn transform_for(bound: &Bound) -> Transform {
    match bound {
        Bound::Bits(_) | Bound::Rel(_) => Transform::Log2Magnitude,
        Bound::Abs(_) => Transform::Linear,
    }
}

pub fn feature(transform: Transform, x: f64) -> f64 {
    match transform {
        Transform::Log2Magnitude => x.abs().log2(),
        Transform::Linear => x,
    }
}

/// Magnitudes the linear transform trains on stay below this: a column's normalisation scale must
/// stay within the model format's 2^64, and a sentinel such as FLT_MAX or 1e30 in a few rows took
/// it beyond (or overflowed the variance: training diverged).
const LARGEST_LINEAR: f64 = 1_152_921_504_606_846_976.0; // 2^60

/// Whether the model path takes `x`: finite, for the log transform normal and non-zero, for the
/// linear one below 2^60 in magnitude (the codec stores zeros, subnormals, non-finite values and
/// such sentinels through the per-value quantiser or exactly; they teach the model nothing).
pub fn takes(transform: Transform, x: f64, is_f32: bool) -> bool {
    match transform {
        Transform::Log2Magnitude if is_f32 => (x as f32).is_normal(),
        Transform::Log2Magnitude => x.is_normal(),
        Transform::Linear => x.abs() < LARGEST_LINEAR,
    }
}

/// Per-column offset and scale of the features, fitted on the training rows.
#[derive(Debug, Clone)]
pub struct Normalisation {
    pub transform: Transform,
    pub offset: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Normalisation {
    /// Mean and standard deviation of each column's feature; a constant column gets scale 1.
    pub fn fit(rows: &Dataset, transform: Transform) -> Normalisation {
        let (k, n) = (rows.k, rows.rows().max(1) as f64);
        let mut offset = vec![0.0; k];
        let mut scale = vec![0.0; k];
        for i in 0..rows.rows() {
            for (j, &x) in rows.row(i).iter().enumerate() {
                offset[j] += feature(transform, x) / n;
            }
        }
        for i in 0..rows.rows() {
            for (j, &x) in rows.row(i).iter().enumerate() {
                scale[j] += (feature(transform, x) - offset[j]).powi(2) / n;
            }
        }
        // rounded to what the model file stores, so that training sees the features a reader computes
        let offset = offset.into_iter().map(stored_normalisation).collect();
        let scale = scale.into_iter().map(|v| if v > 1e-24 { stored_normalisation(v.sqrt()) } else { 1.0 }).collect();
        Normalisation { transform, offset, scale }
    }

    /// The rows' normalised features, row-major, as float32 for the network.
    pub fn apply(&self, rows: &Dataset) -> Vec<f32> {
        (0..rows.rows())
            .flat_map(|i| rows.row(i).iter().enumerate().map(|(j, &x)| ((feature(self.transform, x) - self.offset[j]) / self.scale[j]) as f32))
            .collect()
    }
}

/// Code steps of the bound's quantiser per unit of normalised feature, for each column: turns
/// a normalised error into the residual code's size. bits:N has 2^N codes per binade, rel:E
/// about 1/log2((1+E)/(1-E)), abs:E one code per 2E.
pub fn code_steps_per_unit(bound: &Bound, norm: &Normalisation) -> Vec<f64> {
    let per_feature_unit = match *bound {
        Bound::Bits(n) => (n as f64).exp2(),
        Bound::Rel(e) => 1.0 / ((1.0 + e) / (1.0 - e)).log2(),
        Bound::Abs(e) => 1.0 / (2.0 * e),
    };
    norm.scale.iter().map(|s| s * per_feature_unit).collect()
}

/// Layer widths of the autoencoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Architecture {
    pub k: usize,
    pub hidden: usize,
    pub latent: usize,
}

impl Architecture {
    /// (inputs, outputs) of each dense layer, encoder then decoder.
    pub fn layers(&self) -> Vec<(usize, usize)> {
        let Architecture { k, hidden: h, latent: l } = *self;
        if h == 0 {
            vec![(k, l), (l, k)]
        } else {
            vec![(k, h), (h, l), (l, h), (h, k)]
        }
    }

    /// Layers that make the encoder (the rest decode).
    fn encoder_layers(&self) -> Range<usize> {
        0..self.layers().len() / 2
    }

    pub fn parameters(&self) -> usize {
        self.layers().iter().map(|(i, o)| (i + 1) * o).sum()
    }
}

/// The trained network: dense layers, leaky ReLU between them (not after the latent or the output).
pub struct Net {
    pub arch: Architecture,
    vs: nn::VarStore,
    layers: Vec<nn::Linear>,
    /// log2 of a gain per latent number: the encoder's output is multiplied by it and the
    /// decoder's input divided, so the latent's precision (its rounding step is 1) is one
    /// parameter that Adam moves in log steps, instead of a scale every encoder weight must grow
    /// to. Folded into the weights on export.
    latent_log2_gain: Tensor,
}

impl Net {
    fn new(arch: Architecture, device: Device, initial_log2_gain: f64) -> Net {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let layers = arch.layers().iter().enumerate().map(|(i, &(n_in, n_out))| nn::linear(&root / format!("layer{i}"), n_in as i64, n_out as i64, Default::default())).collect();
        let latent_log2_gain = root.var("latent_log2_gain", &[arch.latent as i64], nn::Init::Const(initial_log2_gain));
        Net { arch, vs, layers, latent_log2_gain }
    }

    fn latent_gain(&self) -> Tensor {
        self.latent_log2_gain.exp2()
    }

    fn run(&self, x: &Tensor, layers: Range<usize>) -> Tensor {
        let last = layers.end - 1;
        layers.fold(x.shallow_clone(), |h, i| {
            let y = self.layers[i].forward(&h);
            let is_output = i == last;
            if is_output {
                y
            } else {
                y.maximum(&(&y * LEAKY_SLOPE))
            }
        })
    }

    pub fn encode(&self, z: &Tensor) -> Tensor {
        self.run(z, self.arch.encoder_layers()) * self.latent_gain()
    }

    pub fn decode(&self, latent: &Tensor) -> Tensor {
        self.run(&(latent / self.latent_gain()), self.arch.encoder_layers().end..self.layers.len())
    }

    /// The model as the codec stores it (which quantises the weights to 16 bits).
    pub fn parts(&self, norm: &Normalisation) -> ModelParts {
        ModelParts {
            transform: norm.transform,
            offset: norm.offset.clone(),
            scale: norm.scale.clone(),
            layers: self.export(),
            encoder_layers: self.arch.encoder_layers().end,
        }
    }

    /// Weights (row-major, outputs x inputs) and biases of each layer, as float32, with the
    /// latent gain folded in: the last encoder layer's outputs scaled by it, the first decoder
    /// layer's inputs divided.
    pub fn export(&self) -> Vec<DenseLayer> {
        let gain = Vec::<f32>::try_from(self.latent_gain().detach().to_device(Device::Cpu)).expect("float gain");
        let latent_layer = self.arch.encoder_layers().end - 1;
        self.layers
            .iter()
            .zip(self.arch.layers())
            .enumerate()
            .map(|(i, (l, (inputs, outputs)))| {
                let mut weights = Vec::<f32>::try_from(l.ws.detach().to_device(Device::Cpu).flatten(0, -1)).expect("float weights");
                let mut bias = l.bs.as_ref().map(|b| Vec::<f32>::try_from(b.detach().to_device(Device::Cpu)).expect("float bias")).unwrap_or_else(|| vec![0.0; outputs]);
                if i == latent_layer {
                    for (o, g) in gain.iter().enumerate() {
                        weights[o * inputs..(o + 1) * inputs].iter_mut().for_each(|w| *w *= g);
                        bias[o] *= g;
                    }
                } else if i == latent_layer + 1 {
                    for (at, w) in weights.iter_mut().enumerate() {
                        *w /= gain[at % inputs];
                    }
                }
                DenseLayer { inputs, outputs, weights, bias }
            })
            .collect()
    }

    fn snapshot(&self) -> Vec<Tensor> {
        self.vs.trainable_variables().iter().map(|t| t.detach().copy()).collect()
    }

    fn restore(&mut self, saved: &[Tensor]) {
        tch::no_grad(|| {
            for (mut v, s) in self.vs.trainable_variables().into_iter().zip(saved) {
                v.copy_(s);
            }
        });
    }
}

/// Everything that shapes a training run.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub arch: Architecture,
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
    pub device: Device,
    /// Code steps per normalised unit, per column ([`code_steps_per_unit`]).
    pub code_steps: Vec<f64>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub epochs_run: usize,
    pub best_epoch: usize,
    /// Validation loss (estimated bits per value, latent rounded) of the kept weights.
    pub best_val_bits: f64,
}

/// Estimated bits per value of coding `z` (rows x K) through `net`: the loss. With `noise`, the
/// latent is perturbed by uniform noise in [-1/2, 1/2) (training); without, rounded (evaluation).
fn bits_per_value(net: &Net, z: &Tensor, steps: &Tensor, noise: bool) -> Tensor {
    let latent = net.encode(z);
    let latent = if noise { &latent + (latent.rand_like() - 0.5) } else { latent.round() };
    let zhat = net.decode(&latent);
    let residual_bits = ((z - zhat).abs() * steps).log1p().sum_dim_intlist(1, false, Kind::Float);
    let latent_bits = latent.abs().log1p().sum_dim_intlist(1, false, Kind::Float);
    (residual_bits + latent_bits).mean(Kind::Float) / (std::f64::consts::LN_2 * net.arch.k as f64)
}

/// Trains on `train` (normalised rows, row-major) and keeps the weights with the best loss on
/// `val`. Deterministic on the CPU for a seed (one thread: see `main`).
pub fn train(config: &TrainConfig, train: &[f32], val: &[f32], progress: &ProgressBar) -> Result<(Net, TrainReport), String> {
    let k = config.arch.k;
    if train.is_empty() || val.is_empty() {
        return Err("too few rows to train and validate (need rows in both the training and the validation entries)".into());
    }
    tch::manual_seed(config.seed as i64);
    // start the latent as fine as the residual codes' geometric middle: each side then has room
    let mean_log2_steps = config.code_steps.iter().map(|s| s.max(1.0).log2()).sum::<f64>() / config.code_steps.len().max(1) as f64;
    let mut net = Net::new(config.arch, config.device, 0.5 * mean_log2_steps);
    let to_tensor = |rows: &[f32]| Tensor::from_slice(rows).view([(rows.len() / k) as i64, k as i64]).to_device(config.device);
    let (train, val) = (to_tensor(train), to_tensor(val));
    let steps = Tensor::from_slice(&config.code_steps.iter().map(|&s| s as f32).collect::<Vec<_>>()).to_device(config.device);
    let mut opt = nn::Adam::default().build(&net.vs, config.learning_rate).map_err(|e| format!("optimiser: {e}"))?;
    let n = train.size()[0];
    let batch = config.batch.max(1) as i64;
    let mut best = (f64::INFINITY, 0usize, net.snapshot());
    let mut epochs_run = 0;
    progress.set_length(config.epochs as u64);
    progress.set_style(ProgressStyle::with_template("training {bar:30} {pos}/{len} epochs {msg}").expect("valid template"));
    for epoch in 0..config.epochs {
        let order = Tensor::randperm(n, (Kind::Int64, config.device));
        for start in (0..n).step_by(batch as usize) {
            let idx = order.narrow(0, start, batch.min(n - start));
            let loss = bits_per_value(&net, &train.index_select(0, &idx), &steps, true);
            opt.backward_step(&loss);
        }
        let val_bits = tch::no_grad(|| bits_per_value(&net, &val, &steps, false)).double_value(&[]);
        epochs_run = epoch + 1;
        if val_bits < best.0 {
            best = (val_bits, epoch + 1, net.snapshot());
        }
        progress.set_position(epochs_run as u64);
        progress.set_message(format!("validation {:.3} bits/value (best {:.3}, epoch {})", val_bits, best.0, best.1));
        if epoch + 1 - best.1 >= config.patience {
            break;
        }
    }
    progress.finish_and_clear();
    if !best.0.is_finite() {
        return Err("training diverged (the validation loss is not finite)".into());
    }
    net.restore(&best.2);
    Ok((net, TrainReport { epochs_run, best_epoch: best.1, best_val_bits: best.0 }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// libtorch's random generator is global: tests that train take turns, or their draws mix.
    static TORCH_RNG: Mutex<()> = Mutex::new(());

    /// Rows of 6 values driven by 2 hidden factors (plus a little noise), in log space like
    /// covariance elements: a model with a 2-wide latent should code them well below the raw
    /// 2^N-per-binade cost.
    fn correlated_rows(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        let mut uniform = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        (0..n)
            .flat_map(|_| {
                let (a, b) = (uniform() * 3.0, uniform() * 3.0);
                let noise: Vec<f64> = (0..6).map(|_| uniform() * 0.01).collect();
                [a, b, a + b, a - b, 0.5 * a, 2.0 * b].into_iter().zip(noise).map(|(v, e)| (v + e) as f32).collect::<Vec<_>>()
            })
            .collect()
    }

    fn config(seed: u64) -> TrainConfig {
        TrainConfig {
            arch: Architecture { k: 6, hidden: 8, latent: 2 },
            epochs: 300,
            patience: 300,
            batch: 64,
            learning_rate: 1e-2,
            seed,
            device: Device::Cpu,
            code_steps: vec![128.0; 6],
        }
    }

    #[test]
    fn training_learns_the_correlations() {
        let _turn = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
        tch::set_num_threads(1);
        let (train_rows, val_rows) = (correlated_rows(512, 1), correlated_rows(128, 2));
        let untrained = {
            tch::manual_seed(3);
            let net = Net::new(config(3).arch, Device::Cpu, 0.0);
            let val = Tensor::from_slice(&val_rows).view([128, 6]);
            tch::no_grad(|| bits_per_value(&net, &val, &Tensor::from_slice(&[128f32; 6]), false)).double_value(&[])
        };
        let (_, report) = train(&config(3), &train_rows, &val_rows, &ProgressBar::hidden()).unwrap();
        assert!(report.best_val_bits < 0.6 * untrained, "trained {} bits/value vs untrained {untrained}", report.best_val_bits);
    }

    #[test]
    fn a_seed_gives_the_same_weights_on_the_cpu() {
        let _turn = TORCH_RNG.lock().unwrap_or_else(|e| e.into_inner());
        tch::set_num_threads(1);
        let (train_rows, val_rows) = (correlated_rows(256, 4), correlated_rows(64, 5));
        let run = |seed| train(&config(seed), &train_rows, &val_rows, &ProgressBar::hidden()).unwrap().0.export();
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
