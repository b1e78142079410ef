//! The bytes the writer produces, pinned: every spec on a fixed set of inputs must give blocks with
//! exactly the committed xxh3-64 digests. A refactor of the quantisers or the streams that changes
//! one byte of any block fails here; a deliberate format change updates the table (run with
//! `BALER_PRINT_BLOCK_DIGESTS=1` to print it) and says so in its commit.

use crate::common::{be32, be64};
use baler_codec::{encode_block, Segment, SegmentKind, Spec};

/// A fixed pseudo-random sequence (64-bit LCG, top bits), the same on every machine.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
}

/// Values across many binades and both signs, with NaN payloads, infinities, -0.0, subnormals,
/// exact zeros and sentinels (-1, -3000) mixed in, and a run of one repeated value.
fn mixed_values(n: usize, seed: u64) -> Vec<f64> {
    let mut r = Lcg(seed);
    let mut v: Vec<f64> = (0..n)
        .map(|i| {
            let mag = (r.unit() * 40.0 - 20.0).exp2() * (1.0 + r.unit());
            let x = if r.next() & 1 == 0 { mag } else { -mag };
            match i % 97 {
                3 => 0.0,
                5 => -1.0,
                7 => -3000.0,
                _ => x,
            }
        })
        .collect();
    v.extend(std::iter::repeat(42.125).take(50));
    v
}

/// The special values among the pinned inputs: a list of their own (not `common::specials32`,
/// which may grow), since every digest below depends on them.
fn pinned_specials32() -> Vec<f32> {
    vec![f32::NAN, f32::from_bits(0x7fc0_1234), f32::from_bits(0xffa0_0001), f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::from_bits(1), f32::from_bits(0x807f_ffff), f32::MAX, f32::MIN]
}

fn pinned_specials64() -> Vec<f64> {
    vec![f64::NAN, f64::from_bits(0x7ff8_0000_dead_beef), f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::from_bits(1), f64::MAX, f64::MIN, 1e-300, -1e300]
}

fn specs() -> Vec<Spec> {
    [
        "lossless", "bits:1", "bits:7", "bits:10", "bits:16", "bits:22", "bits:23", "bits:40", "rel:0.5", "rel:1e-3", "rel:2^-11", "rel:1e-6", "rel:1e-9",
        "abs:1e-6", "abs:1e-3", "abs:0.5", "abs:1e30",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

/// (name, big-endian buffer, layout) of every input.
fn inputs() -> Vec<(&'static str, Vec<u8>, Vec<Segment>)> {
    let one = |kind: SegmentKind, b: Vec<u8>| {
        let len = b.len() as u32;
        (b, vec![Segment::new(kind, len)])
    };
    let f32s: Vec<f32> = mixed_values(3000, 1).into_iter().map(|x| x as f32).chain(pinned_specials32()).collect();
    let f64s: Vec<f64> = mixed_values(3000, 2).into_iter().chain(pinned_specials64()).collect();
    // NanoAOD-like: 10 mantissa bits kept (the writer stores such data exactly)
    let coarse: Vec<f32> = mixed_values(500, 3).into_iter().map(|x| f32::from_bits((x as f32).to_bits() & !0x1fff)).collect();
    let positive: Vec<f32> = mixed_values(2000, 4).into_iter().map(|x| x.abs() as f32).collect();
    let tiny: Vec<f32> = vec![1.5, -2.25, 3.0];
    let mut out = Vec::new();
    let (b, l) = one(SegmentKind::F32, be32(&f32s));
    out.push(("f32 mixed", b, l));
    let (b, l) = one(SegmentKind::F64, be64(&f64s));
    out.push(("f64 mixed", b, l));
    let (b, l) = one(SegmentKind::F32, be32(&coarse));
    out.push(("f32 10-bit", b, l));
    let (b, l) = one(SegmentKind::F32, be32(&positive));
    out.push(("f32 positive", b, l));
    let (b, l) = one(SegmentKind::F32, be32(&tiny));
    out.push(("f32 three values", b, l));
    // a jagged basket: per-entry headers (raw), floats, doubles, an offset table (i32)
    let mut src = Vec::new();
    let mut layout = Vec::new();
    for (i, chunk) in f32s[..700].chunks(7).enumerate() {
        src.extend_from_slice(&[0x40, 0, 0, 34, 0, 9, 0, 0, 0, chunk.len() as u8]);
        layout.push(Segment::new(SegmentKind::Raw, 10));
        src.extend(chunk.iter().flat_map(|v| v.to_be_bytes()));
        layout.push(Segment::new(SegmentKind::F32, 4 * chunk.len() as u32));
        if i % 5 == 0 {
            src.extend(f64s[i].to_be_bytes());
            layout.push(Segment::new(SegmentKind::F64, 8));
        }
    }
    src.extend((0..40i32).flat_map(|i| (i * 50).to_be_bytes()));
    layout.push(Segment::new(SegmentKind::I32, 160));
    out.push(("jagged", src, layout));
    // a basket of a `x[n]/F` branch as ROOT writes it: the floats, then the entry offsets (the
    // count, each entry's offset after a 75-byte key, a 0), enough of them to be coded as
    // differences (number stream mode 6)
    let sizes: Vec<usize> = (0..300).map(|i| i * 7 % 11).collect();
    let floats = sizes.iter().sum::<usize>();
    let mut src: Vec<u8> = f32s[..floats].iter().flat_map(|x| x.to_be_bytes()).collect();
    let offsets = std::iter::once(sizes.len()).chain(sizes.iter().scan(75, |at, &k| {
        let entry = *at;
        *at += 4 * k;
        Some(entry)
    }));
    src.extend(offsets.chain([0]).flat_map(|v| (v as i32).to_be_bytes()));
    let layout = vec![Segment::new(SegmentKind::F32, 4 * floats as u32), Segment::new(SegmentKind::I32, 4 * (sizes.len() as u32 + 2))];
    out.push(("leaf array", src, layout));
    out
}

/// xxh3-64 of the block of every (input, spec), in input-major order; `None` where the spec does
/// not apply to the data (none now: bits:40 on float32, an error once, gives the lossless block).
fn digests() -> Vec<(String, Option<u64>)> {
    let mut v = Vec::new();
    for (name, src, layout) in inputs() {
        for spec in specs() {
            let mut block = Vec::new();
            let d = encode_block(&src, &layout, &spec, &mut block).ok().map(|()| xxhash_rust::xxh3::xxh3_64(&block));
            v.push((format!("{name} {spec}"), d));
        }
    }
    v
}

#[rustfmt::skip]
const EXPECTED: &[(&str, Option<u64>)] = &[
    ("f32 mixed lossless", Some(0xb8ddf89a011d20c7)),
    ("f32 mixed bits:1", Some(0x1a9cb8d1a1d44309)),
    ("f32 mixed bits:7", Some(0x47ace4ca717625a3)),
    ("f32 mixed bits:10", Some(0xaf428afcdd874a2e)),
    ("f32 mixed bits:16", Some(0x3a82263c9ed87e04)),
    ("f32 mixed bits:22", Some(0x9e845636e8ba6015)),
    ("f32 mixed bits:23", Some(0xb8ddf89a011d20c7)),
    ("f32 mixed bits:40", Some(0xb8ddf89a011d20c7)),
    ("f32 mixed rel:0.5", Some(0x7b363ec9084c575a)),
    ("f32 mixed rel:1e-3", Some(0x7b70caff57b91fb0)),
    ("f32 mixed rel:4.8828125e-4", Some(0xa4bab6d02038ff83)),
    ("f32 mixed rel:1e-6", Some(0x1fb9814978df0f7c)),
    ("f32 mixed rel:1e-9", Some(0xb8ddf89a011d20c7)),
    ("f32 mixed abs:1e-6", Some(0x2b7e9fd0523017c7)),
    ("f32 mixed abs:1e-3", Some(0x3d3aa1d5edab8962)),
    ("f32 mixed abs:0.5", Some(0xd35ef4209ede99b5)),
    ("f32 mixed abs:1e30", Some(0xfb6842ccff7b70b7)),
    ("f64 mixed lossless", Some(0x07d044324963ecca)),
    ("f64 mixed bits:1", Some(0x7ac5389c1e4c7826)),
    ("f64 mixed bits:7", Some(0x8b75a0ba57d66a58)),
    ("f64 mixed bits:10", Some(0x589bd169c468671c)),
    ("f64 mixed bits:16", Some(0xf3fc5bd800d587b6)),
    ("f64 mixed bits:22", Some(0xca03fbd1c41fd439)),
    ("f64 mixed bits:23", Some(0x60739c9066353296)),
    ("f64 mixed bits:40", Some(0x862f21da920ff5a6)),
    ("f64 mixed rel:0.5", Some(0xf6e7e8cdd58bcdf4)),
    ("f64 mixed rel:1e-3", Some(0xb9961d67296780b1)),
    ("f64 mixed rel:4.8828125e-4", Some(0x0fc36214a0c6fc40)),
    ("f64 mixed rel:1e-6", Some(0xc9bb926bd677c9c9)),
    ("f64 mixed rel:1e-9", Some(0x9928e73dd828b383)),
    ("f64 mixed abs:1e-6", Some(0x5fd55000576a68f8)),
    ("f64 mixed abs:1e-3", Some(0xe9acde2adf29ebf4)),
    ("f64 mixed abs:0.5", Some(0x0eb5cefd664e2e8f)),
    ("f64 mixed abs:1e30", Some(0x876b490c2f8daf8c)),
    ("f32 10-bit lossless", Some(0x75687b57159603ad)),
    ("f32 10-bit bits:1", Some(0xc71c72435bdcfcaa)),
    ("f32 10-bit bits:7", Some(0x912b2643ae17aa6d)),
    ("f32 10-bit bits:10", Some(0x75687b57159603ad)),
    ("f32 10-bit bits:16", Some(0x75687b57159603ad)),
    ("f32 10-bit bits:22", Some(0x75687b57159603ad)),
    ("f32 10-bit bits:23", Some(0x75687b57159603ad)),
    ("f32 10-bit bits:40", Some(0x75687b57159603ad)),
    ("f32 10-bit rel:0.5", Some(0x2eb1f6c953858b6a)),
    ("f32 10-bit rel:1e-3", Some(0xa50e51a4a94e693e)),
    ("f32 10-bit rel:4.8828125e-4", Some(0x16808a695456de5f)),
    ("f32 10-bit rel:1e-6", Some(0x75687b57159603ad)),
    ("f32 10-bit rel:1e-9", Some(0x75687b57159603ad)),
    ("f32 10-bit abs:1e-6", Some(0x9575ce976bac0204)),
    ("f32 10-bit abs:1e-3", Some(0xea107aa75ded4ab3)),
    ("f32 10-bit abs:0.5", Some(0x56ff4bc13714f1ca)),
    ("f32 10-bit abs:1e30", Some(0x43f79446a4a50c71)),
    ("f32 positive lossless", Some(0x0c50eb0d98d51542)),
    ("f32 positive bits:1", Some(0xf367a3466ea91343)),
    ("f32 positive bits:7", Some(0xbc6fd30f46f6aad5)),
    ("f32 positive bits:10", Some(0x00005c112cbacbab)),
    ("f32 positive bits:16", Some(0x8983a6db6a525825)),
    ("f32 positive bits:22", Some(0xfb8ccafb6cf29b32)),
    ("f32 positive bits:23", Some(0x0c50eb0d98d51542)),
    ("f32 positive bits:40", Some(0x0c50eb0d98d51542)),
    ("f32 positive rel:0.5", Some(0xfffa9fc0b3ab27e9)),
    ("f32 positive rel:1e-3", Some(0xfdee71e9c88ea97b)),
    ("f32 positive rel:4.8828125e-4", Some(0xd88ac885b56bf837)),
    ("f32 positive rel:1e-6", Some(0xa625aceb6e50a238)),
    ("f32 positive rel:1e-9", Some(0x0c50eb0d98d51542)),
    ("f32 positive abs:1e-6", Some(0xade1b3517d5f77db)),
    ("f32 positive abs:1e-3", Some(0x7defc02981b8cb20)),
    ("f32 positive abs:0.5", Some(0x393d1377aaf8f3c3)),
    ("f32 positive abs:1e30", Some(0x657d8919787bb28b)),
    ("f32 three values lossless", Some(0xeb7d087717496d12)),
    ("f32 three values bits:1", Some(0x73f9d1a21515acd3)),
    ("f32 three values bits:7", Some(0xeb7d087717496d12)),
    ("f32 three values bits:10", Some(0xeb7d087717496d12)),
    ("f32 three values bits:16", Some(0xeb7d087717496d12)),
    ("f32 three values bits:22", Some(0xeb7d087717496d12)),
    ("f32 three values bits:23", Some(0xeb7d087717496d12)),
    ("f32 three values bits:40", Some(0xeb7d087717496d12)),
    ("f32 three values rel:0.5", Some(0x87242e9a278230ed)),
    ("f32 three values rel:1e-3", Some(0xeb7d087717496d12)),
    ("f32 three values rel:4.8828125e-4", Some(0xeb7d087717496d12)),
    ("f32 three values rel:1e-6", Some(0xeb7d087717496d12)),
    ("f32 three values rel:1e-9", Some(0xeb7d087717496d12)),
    ("f32 three values abs:1e-6", Some(0xeb7d087717496d12)),
    ("f32 three values abs:1e-3", Some(0xeb7d087717496d12)),
    ("f32 three values abs:0.5", Some(0xc19ab76bcff1e847)),
    ("f32 three values abs:1e30", Some(0x68117b43b3670c13)),
    ("jagged lossless", Some(0x33f9db5fa527c480)),
    ("jagged bits:1", Some(0x538a7714889cc078)),
    ("jagged bits:7", Some(0x5bea75c8500498eb)),
    ("jagged bits:10", Some(0xd001d92b530ef416)),
    ("jagged bits:16", Some(0x3eb756795b520077)),
    ("jagged bits:22", Some(0xe3776c4329047ce0)),
    ("jagged bits:23", Some(0xd206e2100530baf4)),
    ("jagged bits:40", Some(0xb100e968944f83a7)),
    ("jagged rel:0.5", Some(0x30e06133f6ab738c)),
    ("jagged rel:1e-3", Some(0xeac8f94d7654782e)),
    ("jagged rel:4.8828125e-4", Some(0x30bd2aa159b73638)),
    ("jagged rel:1e-6", Some(0x255d858a6e9ff263)),
    ("jagged rel:1e-9", Some(0xde9a69f0c2171488)),
    ("jagged abs:1e-6", Some(0x887e7900a5b90425)),
    ("jagged abs:1e-3", Some(0xe543aaf4a1501c28)),
    ("jagged abs:0.5", Some(0x291fbe35678035ba)),
    ("jagged abs:1e30", Some(0x697095133060cdaf)),
    ("leaf array lossless", Some(0x407ff86388545200)),
    ("leaf array bits:1", Some(0xbe64b1cfac0d15dd)),
    ("leaf array bits:7", Some(0x344cb385e5ee4ebd)),
    ("leaf array bits:10", Some(0xbb8c1b83a3918276)),
    ("leaf array bits:16", Some(0x6d19cb9ec46ac3c5)),
    ("leaf array bits:22", Some(0x7fd591a9fbf7137d)),
    ("leaf array bits:23", Some(0x407ff86388545200)),
    ("leaf array bits:40", Some(0x407ff86388545200)),
    ("leaf array rel:0.5", Some(0x0b3ab99572c643dc)),
    ("leaf array rel:1e-3", Some(0xa42129cbcbc346b7)),
    ("leaf array rel:4.8828125e-4", Some(0xa6936aded392f30e)),
    ("leaf array rel:1e-6", Some(0xf2e8b3977af75582)),
    ("leaf array rel:1e-9", Some(0x407ff86388545200)),
    ("leaf array abs:1e-6", Some(0xdcf4024743ab450e)),
    ("leaf array abs:1e-3", Some(0xd45c1052c7195ef6)),
    ("leaf array abs:0.5", Some(0x66646aaa3f3ecbb3)),
    ("leaf array abs:1e30", Some(0x6a601d9225b10918)),
];

#[test]
fn blocks_are_byte_identical_to_the_committed_digests() {
    let got = digests();
    if std::env::var_os("BALER_PRINT_BLOCK_DIGESTS").is_some() {
        for (name, d) in &got {
            match d {
                Some(d) => println!("    ({name:?}, Some({d:#018x})),"),
                None => println!("    ({name:?}, None),"),
            }
        }
    }
    assert_eq!(got.len(), EXPECTED.len(), "input/spec table changed: regenerate EXPECTED");
    let mut bad = Vec::new();
    for ((name, d), (ename, ed)) in got.iter().zip(EXPECTED) {
        assert_eq!(name, ename);
        if d != ed {
            bad.push(name.clone());
        }
    }
    assert!(bad.is_empty(), "blocks changed for: {bad:?}");
}
