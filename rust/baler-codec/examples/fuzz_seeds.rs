//! Writes valid blocks (every codec, several layouts) as seed inputs for the
//! decode_block fuzz target. usage: fuzz_seeds OUT_DIR
use baler_codec::{encode_block, Segment, SegmentKind, Spec};

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds OUT_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
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
    }
}
