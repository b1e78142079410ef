//! Writes valid seed inputs for the fuzz targets that cannot start from a committed fixture:
//! blocks of every codec and several layouts (entry offsets coded by pcodec and as
//! differences), with sentinel tables (decode_block), autoencoder blocks of the committed
//! fixture model with sentinel tables in rows and rest values (decode_ae_block), and
//! object-model members with their model and context, carriers and members whose entry offsets
//! derive from the first carrier's (section 20), some with sentinel tables
//! (decode_object_block). usage: fuzz_seeds CORPUS_DIR (one folder per target)
use std::path::Path;

use baler_codec::{
    block_context, block_model_id, block_offsets_source, decode_block_in_context, decode_context_block, encode_block, encode_block_in_context, encode_block_with_model, Member, Model, ObjectCoding, ObjectModel, Predictor, Segment,
    SegmentKind, Spec,
};

fn main() {
    let corpus = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds CORPUS_DIR"));
    write_block_seeds(&corpus.join("decode_block"));
    write_ae_seeds(&corpus.join("decode_ae_block"));
    write_object_seeds(&corpus.join("decode_object_block"));
}

/// Big-endian f32 values, from the front of a decoded basket.
fn floats(bytes: &[u8], n: usize) -> Vec<f32> {
    bytes.chunks_exact(4).take(n).map(|b| f32::from_be_bytes(b.try_into().unwrap())).collect()
}

/// Checks that every value of `src` equal to one of `sentinels` came back exactly in `back`: the
/// lossy specs of these seeds move them, so the block keeps them in a sentinel table (the seed is
/// there to carry one).
fn assert_sentinels_kept(what: &str, sentinels: &[f32], src: &[f32], back: &[f32]) {
    let sentinel = |x: f32| sentinels.contains(&x);
    let kept = src.iter().zip(back).filter(|(x, y)| sentinel(**x) && x.to_bits() == y.to_bits()).count();
    assert_eq!(kept, src.iter().filter(|x| sentinel(**x)).count(), "{what}: sentinels not kept exactly");
}

fn write_block_seeds(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let vals: Vec<f32> = (0..300).map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 0.37).chain([f32::NAN, -0.0, f32::INFINITY, 1e-40]).collect();
    let mut src: Vec<u8> = Vec::new();
    let mut layout = Vec::new();
    for (i, chunk) in vals.chunks(7).enumerate() {
        src.extend_from_slice(&[0x40, 0, 0, 34, 0, 9, 0, 0, 0, chunk.len() as u8]);
        layout.push(Segment { kind: SegmentKind::Raw, len: 10 });
        src.extend(chunk.iter().flat_map(|v| v.to_be_bytes()));
        layout.push(Segment { kind: SegmentKind::F32, len: 4 * chunk.len() as u32 });
        if i % 5 == 0 {
            src.extend((i as f64 * 0.1).to_be_bytes());
            layout.push(Segment { kind: SegmentKind::F64, len: 8 });
        }
    }
    src.extend((0..40i32).flat_map(|i| (i * 50).to_be_bytes()));
    layout.push(Segment { kind: SegmentKind::I32, len: 160 });
    let plain: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    // a `x[n]/F` basket as ROOT writes it, with entry offsets enough for stream mode 6 (the count
    // word, 200 entries of 0 to 10 floats after a 75-byte key, a 0)
    let sizes: Vec<usize> = (0..200).map(|e| e * 7 % 11).collect();
    let n_floats = sizes.iter().sum::<usize>();
    let offsets = std::iter::once(sizes.len() + 1).chain(sizes.iter().scan(75, |at, &k| {
        *at += 4 * k;
        Some(*at - 4 * k)
    }));
    let leaf_array: Vec<u8> = vals.iter().cycle().take(n_floats).flat_map(|v| v.to_be_bytes()).chain(offsets.chain([0]).flat_map(|o| (o as i32).to_be_bytes())).collect();
    let leaf_layout = [Segment::new(SegmentKind::F32, 4 * n_floats as u32), Segment::new(SegmentKind::I32, 4 * (sizes.len() as u32 + 2))];
    let specs = ["lossless", "bits:10", "bits:3", "rel:1e-3", "rel:1e-7", "abs:0.01", "abs:100"];
    for (i, s) in specs.iter().enumerate() {
        let spec: Spec = s.parse().unwrap();
        let mut b = Vec::new();
        encode_block(&src, &layout, &spec, &mut b).unwrap();
        std::fs::write(dir.join(format!("mixed-{i}")), &b).unwrap();
        let mut b = Vec::new();
        encode_block(&plain, &[Segment { kind: SegmentKind::F32, len: plain.len() as u32 }], &spec, &mut b).unwrap();
        std::fs::write(dir.join(format!("plain-{i}")), &b).unwrap();
        // sentinels (-3000 and -999, 1 in 8 values each): the lossy specs write a sentinel table
        let with_sentinels: Vec<u8> = vals.iter().enumerate().map(|(j, &v)| match j % 8 { 1 => -3000.0, 5 => -999.0, _ => v }).flat_map(|v: f32| v.to_be_bytes()).collect();
        let mut b = Vec::new();
        encode_block(&with_sentinels, &[Segment { kind: SegmentKind::F32, len: with_sentinels.len() as u32 }], &spec, &mut b).unwrap();
        std::fs::write(dir.join(format!("sentinels-{i}")), &b).unwrap();
        // the same as doubles: the f64 sentinel table
        let with_sentinels64: Vec<u8> = vals.iter().enumerate().map(|(j, &v)| match j % 8 { 1 => -3000.0, 5 => -999.0, _ => v as f64 * 1.000_000_1 }).flat_map(|v: f64| v.to_be_bytes()).collect();
        let mut b = Vec::new();
        encode_block(&with_sentinels64, &[Segment { kind: SegmentKind::F64, len: with_sentinels64.len() as u32 }], &spec, &mut b).unwrap();
        std::fs::write(dir.join(format!("sentinels64-{i}")), &b).unwrap();
        let mut b = Vec::new();
        encode_block(&leaf_array, &leaf_layout, &spec, &mut b).unwrap();
        std::fs::write(dir.join(format!("leaf-array-{i}")), &b).unwrap();
    }
    // the specs these seeds carry a table under (they move -3000 and -999)
    for s in ["bits:10", "bits:3", "rel:1e-3"] {
        let with_sentinels: Vec<f32> = vals.iter().enumerate().map(|(j, &v)| match j % 8 { 1 => -3000.0, 5 => -999.0, _ => v }).collect();
        let src: Vec<u8> = with_sentinels.iter().flat_map(|v| v.to_be_bytes()).collect();
        let mut b = Vec::new();
        encode_block(&src, &[Segment { kind: SegmentKind::F32, len: src.len() as u32 }], &s.parse().unwrap(), &mut b).unwrap();
        let mut back = vec![0u8; src.len()];
        baler_codec::decode_block(&b, &mut back).unwrap();
        assert_sentinels_kept(s, &[-3000.0, -999.0], &with_sentinels, &floats(&back, with_sentinels.len()));
    }
}

/// Sentinels of the object members' seeds: values that bits:10, rel:1e-3 and abs:0.01 all move
/// (-3000 and -999 have at most 10 mantissa bits).
const OBJECT_SENTINELS: [f32; 2] = [-3000.125, -999.375];

/// Blocks of the committed fixture model (the rows it decodes its fixture block to, and three
/// rest values after the last whole row), under each bound kind:
/// the AE section's sentinel table and the rest values' own float section with its table, and
/// residual streams by prediction.
fn write_ae_seeds(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let model = Model::parse(&std::fs::read(fixtures.join("ae-model.balm")).unwrap()).unwrap();
    let decoded = std::fs::read(fixtures.join("ae-decoded.bin")).unwrap();
    // the fixture's rows hold -3000 in one column (a sentinel, 1/6 of the values, which bits:7 and
    // rel move; an abs bound fine enough for the other, small values keeps -3000 exactly); their
    // other values were rounded to 10 bits (the writer would store them exactly): a relative
    // nudge under 1e-4 gives them their low bits back
    let mut vals: Vec<f32> = floats(&decoded, decoded.len() / 4).iter().enumerate().map(|(j, &v)| if v == -3000.0 { v } else { v * (1.0 + 1e-4 * ((j * 7919 % 97) as f32 / 97.0)) }).collect();
    assert!(vals.iter().filter(|&&v| v == -3000.0).count() * 64 >= vals.len(), "the fixture's rows hold -3000 as a sentinel");
    vals.extend([-3000.0, 1.234_567, -3000.0]);
    let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    for (i, text) in ["bits:7", "rel:1e-2", "rel:1e-3"].iter().enumerate() {
        let spec: Spec = format!("ae:{text}:{}", model.id()).parse().unwrap();
        let mut b = Vec::new();
        encode_block_with_model(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], &spec, Some(&model), &mut b).unwrap();
        assert_eq!(block_model_id(&b).unwrap(), Some(model.id()), "{text}: rows coded through the model");
        let mut back = vec![0u8; src.len()];
        baler_codec::decode_block_with_model(&b, &mut back, Some(&model)).unwrap();
        assert_sentinels_kept(text, &[-3000.0], &vals, &floats(&back, vals.len()));
        std::fs::write(dir.join(format!("sentinels-{i}")), &b).unwrap();
    }
    // and residual streams by prediction (tag 21, which this model's section takes at abs:1e-6:
    // the rows' values span decades, and their residuals with them)
    let spec: Spec = format!("ae:abs:1e-6:{}", model.id()).parse().unwrap();
    let mut b = Vec::new();
    encode_block_with_model(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], &spec, Some(&model), &mut b).unwrap();
    assert_eq!(block_model_id(&b).unwrap(), Some(model.id()), "abs:1e-6: rows coded through the model");
    std::fs::write(dir.join("by-prediction"), &b).unwrap();
}

/// A muon-like collection (E predicted from px, py, pz), its carriers coded first and their
/// decoded values the context of E's block, as the plugin does, every basket with ROOT's entry
/// offsets (Py, Pz and E derive theirs from Px's); each seed is the input layout the
/// decode_object_block target reads.
fn write_object_seeds(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let carrier = |n: &str| Member { name: n.into(), predictor: Predictor::Carrier };
    let model = ObjectModel::new(vec![
        carrier("Muon_Px"),
        carrier("Muon_Py"),
        carrier("Muon_Pz"),
        Member { name: "Muon_E".into(), predictor: Predictor::Norm { context: vec![0, 1, 2], bias: 0.011, weights: vec![1.0; 3] } },
    ])
    .unwrap();
    let n = 64;
    let p: Vec<[f32; 3]> = (0..n).map(|i| [((i * 37) % 101) as f32 - 50.3, ((i * 53) % 97) as f32 * 0.7 - 30.1, ((i * 71) % 89) as f32 * 3.1 - 130.0]).collect();
    let energies: Vec<f32> = p.iter().map(|v| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + 0.011).sqrt()).collect();
    // ROOT's offset tail of 32 entries of 2 values each, key length from the branch name
    let tail = |member: usize| -> Vec<i32> {
        let keylen = 60 + model.members()[member].name.len() as i32;
        std::iter::once(33).chain((0..32).map(|e| keylen + 8 * e)).chain([0]).collect()
    };
    let basket = |vals: &[f32], member: usize| -> Vec<u8> { vals.iter().flat_map(|v| v.to_be_bytes()).chain(tail(member).iter().flat_map(|i| i.to_be_bytes())).collect() };
    let source = tail(0);
    for (s, text) in ["bits:10", "rel:1e-3", "abs:0.01"].iter().enumerate() {
        let spec: Spec = format!("ae:{text}:{}", model.id()).parse().unwrap();
        let code = |member: usize, src: &[u8], context: &[&[f64]]| -> Vec<u8> {
            let coding = ObjectCoding { model: &model, member, first_entry: 1000, entries: 32, context, offsets: (member > 0).then_some(source.as_slice()) };
            let mut block = Vec::new();
            let layout = [Segment::new(SegmentKind::F32, 4 * n as u32), Segment::new(SegmentKind::I32, 4 * 34)];
            encode_block_in_context(src, &layout, &spec, &coding, &mut block).unwrap();
            block
        };
        let context: Vec<Vec<f64>> = (0..3)
            .map(|j| decode_context_block(&code(j, &basket(&p.iter().map(|v| v[j]).collect::<Vec<_>>(), j), &[]), (j > 0).then_some(source.as_slice())).unwrap().floats)
            .collect();
        let slices: Vec<&[f64]> = context.iter().map(Vec::as_slice).collect();
        // the target's input: the model without its hash, the context, the offsets source, the block
        let seed = |context: &[Vec<f64>], block: &[u8]| -> Vec<u8> {
            let body = &model.bytes()[..model.bytes().len() - 16]; // the target appends the hash
            let mut input = Vec::new();
            input.extend_from_slice(&(body.len() as u16).to_le_bytes());
            input.extend_from_slice(body);
            input.push(context.len() as u8);
            input.extend_from_slice(&(if context.is_empty() { 0 } else { n as u16 }).to_le_bytes());
            input.extend(context.iter().flatten().flat_map(|v| v.to_le_bytes()));
            input.extend_from_slice(&(source.len() as u16).to_le_bytes());
            input.extend(source.iter().flat_map(|v| v.to_le_bytes()));
            input.extend_from_slice(block);
            input
        };
        let block = code(3, &basket(&energies, 3), &slices);
        let recorded = block_context(&block).unwrap().expect("E is coded with its context");
        assert_eq!(recorded.offsets_from.as_deref(), Some("Muon_Px"), "{text}: E derives its offsets");
        std::fs::write(dir.join(format!("muon-E-{s}")), seed(&context, &block)).unwrap();
        // a carrier whose entry offsets derive from Muon_Px's (section 20, no context)
        let py = code(1, &basket(&p.iter().map(|v| v[1]).collect::<Vec<_>>(), 1), &[]);
        assert_eq!(block_offsets_source(&py).unwrap().map(|o| o.source), Some("Muon_Px".to_string()), "{text}: Py derives its offsets");
        std::fs::write(dir.join(format!("muon-Py-{s}")), seed(&[], &py)).unwrap();
        // with sentinels: one in 1 of 8 of Py's values (its float section's table), the other in
        // 1 of 8 of E's (the object section's table where the writer codes E with its context,
        // abs:0.01 here; a float section's otherwise)
        let py_sentinels: Vec<f32> = p.iter().enumerate().map(|(i, v)| if i % 8 == 5 { OBJECT_SENTINELS[1] } else { v[1] }).collect();
        let py = code(1, &basket(&py_sentinels, 1), &[]);
        let back: Vec<f32> = decode_context_block(&py, Some(&source)).unwrap().floats.iter().map(|&v| v as f32).collect();
        assert_sentinels_kept(text, &OBJECT_SENTINELS, &py_sentinels, &back);
        std::fs::write(dir.join(format!("muon-Py-sentinels-{s}")), seed(&[], &py)).unwrap();
        let e_sentinels: Vec<f32> = energies.iter().enumerate().map(|(i, &v)| if i % 8 == 1 { OBJECT_SENTINELS[0] } else { v }).collect();
        let block = code(3, &basket(&e_sentinels, 3), &slices);
        let mut back = vec![0u8; 4 * n + 4 * source.len()];
        let coding = ObjectCoding { model: &model, member: 3, first_entry: 1000, entries: 32, context: &slices, offsets: Some(&source) };
        decode_block_in_context(&block, &mut back, &coding).unwrap();
        assert_sentinels_kept(text, &OBJECT_SENTINELS, &e_sentinels, &floats(&back, n));
        std::fs::write(dir.join(format!("muon-E-sentinels-{s}")), seed(&context, &block)).unwrap();
    }
}
