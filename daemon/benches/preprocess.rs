//! The whole-frame preprocessing of a frame on which both the face detector and the
//! object model run (every still; an object frame where the detector is due), done the
//! old way — each model resamples the full frame — and with the shared smaller copy
//! (`inference/downscale.rs`), in the same run so their ratio is measured under the same
//! load. Models' input shapes as the defaults: full-range BlazeFace 192×192 float,
//! letterboxed; SSD MobileNet v1 300×300 uint8, stretched.
//!
//! `cargo bench --bench preprocess` (no runtime or models needed). The frame is
//! synthetic: resampling cost does not depend on what the pixels show.

use criterion::{Criterion, criterion_group, criterion_main};

use proctord::inference::downscale::Downscaler;
use proctord::inference::preprocess::{FitMode, Preprocessor};
use proctord::inference::{ElementType, Quantization, TensorInfo};

fn input(element_type: ElementType, size: i32) -> TensorInfo {
    TensorInfo {
        name: "input".into(),
        element_type,
        dims: vec![1, size, size, 3],
        quantization: (element_type == ElementType::UInt8).then_some(Quantization {
            scale: 1.0 / 128.0,
            zero_point: 128,
        }),
        bytes: (size * size * 3) as usize * element_type.size_bytes(),
    }
}

fn preprocess(c: &mut Criterion) {
    let face_in = input(ElementType::Float32, 192);
    let ssd_in = input(ElementType::UInt8, 300);
    let mut face = Preprocessor::new(&face_in, FitMode::Letterbox).unwrap();
    let mut ssd = Preprocessor::new(&ssd_in, FitMode::Stretch).unwrap();
    let inputs = [face.model_input(), ssd.model_input()];
    let (mut face_buf, mut ssd_buf) = (vec![0u8; face_in.bytes], vec![0u8; ssd_in.bytes]);
    let mut downscale = Downscaler::new();
    for (w, h) in [(1280u32, 720u32), (640, 480)] {
        let frame: Vec<u8> = (0..(w * h * 3) as usize)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut g = c.benchmark_group(format!("face+ssd inputs from {w}x{h}"));
        g.bench_function("each model resamples the frame", |b| {
            b.iter(|| {
                face.run(&frame, w, h, &mut face_buf);
                ssd.run(&frame, w, h, &mut ssd_buf);
            })
        });
        g.bench_function("one shared copy, each model resamples it", |b| {
            b.iter(|| {
                let small = downscale.for_models(&frame, w, h, &inputs).unwrap();
                face.run_image(small.image(), &mut face_buf);
                ssd.run_image(small.image(), &mut ssd_buf);
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = preprocess
}
criterion_main!(benches);
