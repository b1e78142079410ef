//! Writes valid seed inputs for the fuzz targets that cannot start from a committed fixture:
//! blocks of every codec and several layouts (decode_block), and object-model members with their
//! model and context (decode_object_block). usage: fuzz_seeds CORPUS_DIR (one folder per target)
use std::path::Path;

use baler_codec::{block_context, decode_context_block, encode_block, encode_block_in_context, Member, ObjectCoding, ObjectModel, Predictor, Segment, SegmentKind, Spec};

fn main() {
    let corpus = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds CORPUS_DIR"));
    write_block_seeds(&corpus.join("decode_block"));
    write_object_seeds(&corpus.join("decode_object_block"));
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
    }
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
        let block = code(3, &basket(&energies, 3), &slices);
        let recorded = block_context(&block).unwrap().expect("E is coded with its context");
        assert_eq!(recorded.offsets_from.as_deref(), Some("Muon_Px"), "{text}: E derives its offsets");
        let body = &model.bytes()[..model.bytes().len() - 16]; // the target appends the hash
        let mut input = Vec::new();
        input.extend_from_slice(&(body.len() as u16).to_le_bytes());
        input.extend_from_slice(body);
        input.push(context.len() as u8);
        input.extend_from_slice(&(n as u16).to_le_bytes());
        input.extend(context.iter().flatten().flat_map(|v| v.to_le_bytes()));
        input.extend_from_slice(&(source.len() as u16).to_le_bytes());
        input.extend(source.iter().flat_map(|v| v.to_le_bytes()));
        input.extend_from_slice(&block);
        std::fs::write(dir.join(format!("muon-E-{s}")), input).unwrap();
    }
}
