//! Prints a model's input and output tensors as LiteRT sees them.
//! `cargo run --example model_info -- runtime/libLiteRt.so models/cache/detect.tflite`
use proctord::config::{Accelerator, GpuFallback};
use proctord::inference::{CompileOptions, CompiledModel, Runtime};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = Runtime::load(args[1].as_ref(), true)?;
    for path in &args[2..] {
        let opts = CompileOptions {
            accelerator: Accelerator::Cpu,
            gpu_fallback: GpuFallback::Fail,
            threads: 1,
        };
        let model = CompiledModel::load(&runtime, path.as_ref(), opts)?;
        println!("{path}");
        for t in model.inputs() {
            println!("  in  {t:?}");
        }
        for t in model.outputs() {
            println!("  out {t:?}");
        }
        let mut model = model;
        model.write_input(0, |b| b.fill(128))?;
        model.invoke()?;
        for i in 0..model.outputs().len() {
            let head = model.read_output(i, |b| b.iter().take(16).copied().collect::<Vec<u8>>())?;
            println!("  out{i} after invoke: first bytes {head:?}");
        }
    }
    Ok(())
}
