//! The object detector: one compiled model of a known output family (see `ObjectFamily`),
//! its preprocessing, and the decode into proctoring objects. It can run on the whole
//! frame or on a region of it (the hands-and-desk pass); boxes always come back
//! normalised to the whole frame.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::InferenceError;
use super::labels::{LabelIds, LabelMap};
use super::model::{CompileOptions, CompiledModel};
use super::nms::class_aware_nms_in_place;
use super::preprocess::{FitMode, FrameImage, ModelInput, PixelRange, Placement, Preprocessor};
use super::runtime::Runtime;
use super::ssd::SsdOutputs;
use super::yolo::YoloOutput;
use crate::detections::{BBox, DetectedObject, ObjectClass};

/// How an object model's output is decoded; named per model in the manifest (`family`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectFamily {
    /// Four float outputs of TFLite_Detection_PostProcess (SSD MobileNet): boxes,
    /// classes, scores, count; the model does its own NMS. Stretched input, COCO-90 ids.
    SsdPostprocess,
    /// One `[1, 4+C, N]` or `[1, N, 4+C]` tensor (Ultralytics YOLOv8/YOLO11): host-side
    /// decode and class-aware NMS. Letterboxed input in 0..1, COCO-80 ids.
    Yolo,
}

impl ObjectFamily {
    pub fn label_ids(self) -> LabelIds {
        match self {
            ObjectFamily::SsdPostprocess => LabelIds::AfterHeader,
            ObjectFamily::Yolo => LabelIds::NamedOnly,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectFamily::SsdPostprocess => "ssd_postprocess",
            ObjectFamily::Yolo => "yolo",
        }
    }
}

/// Per-class minimum scores.
#[derive(Clone, Copy, Debug)]
pub struct ClassThresholds {
    pub phone: f32,
    pub notes: f32,
    pub device: f32,
    pub person: f32,
}

impl ClassThresholds {
    pub fn of(&self, class: ObjectClass) -> f32 {
        match class {
            ObjectClass::Phone => self.phone,
            ObjectClass::Notes => self.notes,
            ObjectClass::Device => self.device,
            ObjectClass::Person => self.person,
        }
    }

    /// The lowest of the thresholds: nothing below it can be kept.
    pub fn lowest(&self) -> f32 {
        self.phone.min(self.notes).min(self.device).min(self.person)
    }
}

/// A rectangle of the frame in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl PixelRect {
    /// The rectangle as a box normalised to a `frame_w`×`frame_h` frame.
    pub fn normalised(&self, frame_w: u32, frame_h: u32) -> BBox {
        BBox {
            x0: self.x as f32 / frame_w as f32,
            y0: self.y as f32 / frame_h as f32,
            x1: (self.x + self.w) as f32 / frame_w as f32,
            y1: (self.y + self.h) as f32 / frame_h as f32,
        }
    }
}

/// At most this many objects per pass (Ultralytics' default max_det is 300; a kiosk
/// frame holds a handful).
const MAX_OBJECTS: usize = 50;

enum Decoder {
    Ssd(SsdOutputs),
    Yolo {
        output: YoloOutput,
        best: Vec<(f32, u16)>,
        nms_iou: f32,
    },
}

pub struct ObjectDetector {
    model: CompiledModel,
    family: ObjectFamily,
    pre: Preprocessor,
    labels: LabelMap,
    thresholds: ClassThresholds,
    decoder: Decoder,
}

impl ObjectDetector {
    /// Loads an object model of `family`; `nms_iou` is the overlap above which same-label
    /// boxes are merged by the host-side NMS (YOLO; SSD does its own).
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        family: ObjectFamily,
        labels: LabelMap,
        opts: CompileOptions,
        thresholds: ClassThresholds,
        nms_iou: f32,
    ) -> Result<Self, InferenceError> {
        let model = CompiledModel::load(runtime, path, opts)?;
        let unexpected = |reason: String| InferenceError::UnexpectedModel {
            path: path.to_owned(),
            reason: format!(
                "{reason} (the manifest says its family is {})",
                family.as_str()
            ),
        };
        let input = model.image_input().map_err(unexpected)?;
        let (pre, decoder) = match family {
            ObjectFamily::SsdPostprocess => (
                Preprocessor::new(input, FitMode::Stretch).map_err(unexpected)?,
                Decoder::Ssd(SsdOutputs::for_model(&model).map_err(unexpected)?),
            ),
            ObjectFamily::Yolo => {
                let [output] = model.outputs() else {
                    return Err(unexpected(format!(
                        "a YOLO model has one output, this one has {}",
                        model.outputs().len()
                    )));
                };
                let output = YoloOutput::from_tensor(output, labels.len()).map_err(unexpected)?;
                if output.bytes() > model.outputs()[0].bytes {
                    return Err(unexpected(
                        "its output buffer is smaller than its shape".into(),
                    ));
                }
                // Ultralytics trains and exports on letterboxed 0..1 input padded with 114.
                let pre =
                    Preprocessor::with_range(input, FitMode::Letterbox, PixelRange::ZeroToOne, 114)
                        .map_err(unexpected)?;
                (
                    pre,
                    Decoder::Yolo {
                        output,
                        best: Vec::new(),
                        nms_iou,
                    },
                )
            }
        };
        Ok(ObjectDetector {
            model,
            family,
            pre,
            labels,
            thresholds,
            decoder,
        })
    }

    /// Loads the label file of a model of `family`.
    pub fn load_labels(path: &Path, family: ObjectFamily) -> std::io::Result<LabelMap> {
        LabelMap::load(path, family.label_ids())
    }

    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    pub fn family(&self) -> ObjectFamily {
        self.family
    }

    pub fn labels(&self) -> &LabelMap {
        &self.labels
    }

    /// Input width and height of the model in pixels.
    pub fn input_size(&self) -> (usize, usize) {
        self.pre.input_size()
    }

    pub fn preprocess(&mut self, rgb: &[u8], w: u32, h: u32) -> Result<Placement, InferenceError> {
        let pre = &mut self.pre;
        self.model.write_input(0, |buf| pre.run(rgb, w, h, buf))
    }

    pub fn invoke(&mut self) -> Result<(), InferenceError> {
        self.model.invoke()
    }

    /// How this model takes a whole frame (for the shared smaller copy, `downscale.rs`).
    pub fn model_input(&self) -> ModelInput {
        self.pre.model_input()
    }

    /// Detects proctoring-relevant objects on the whole frame; boxes normalised to it.
    pub fn detect(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        self.detect_image(FrameImage::full(rgb, w, h), out)
    }

    /// As `detect`, reading `image`: the frame or a smaller copy standing for it.
    pub fn detect_image(
        &mut self,
        image: FrameImage<'_>,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        out.clear();
        let pre = &mut self.pre;
        let placement = self.model.write_input(0, |buf| pre.run_image(image, buf))?;
        self.invoke_and_decode(placement, out)
    }

    /// Detects objects inside `region` of the frame only (the model sees the region at
    /// its own input resolution); boxes are normalised to the whole frame.
    pub fn detect_region(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        region: PixelRect,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        out.clear();
        // Read in place: the region's rows lie a frame's stride apart.
        let stride = w as usize * 3;
        let first = region.y as usize * stride + region.x as usize * 3;
        let pre = &mut self.pre;
        let placement = self.model.write_input(0, |buf| {
            pre.run_strided(&rgb[first..], stride, region.w, region.h, buf)
        })?;
        self.invoke_and_decode(placement, out)?;
        let zone = region.normalised(w, h);
        for o in out.iter_mut() {
            o.bbox = BBox {
                x0: zone.x0 + o.bbox.x0 * zone.width(),
                y0: zone.y0 + o.bbox.y0 * zone.height(),
                x1: zone.x0 + o.bbox.x1 * zone.width(),
                y1: zone.y0 + o.bbox.y1 * zone.height(),
            };
        }
        Ok(())
    }

    fn invoke_and_decode(
        &mut self,
        placement: Placement,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        self.invoke()?;
        self.decode(&placement, out)
    }

    fn decode(
        &mut self,
        placement: &Placement,
        out: &mut Vec<DetectedObject>,
    ) -> Result<(), InferenceError> {
        let (labels, thresholds) = (&self.labels, &self.thresholds);
        match &mut self.decoder {
            Decoder::Ssd(ssd) => ssd.read(&mut self.model, placement, labels, thresholds, out),
            Decoder::Yolo {
                output,
                best,
                nms_iou,
            } => {
                // Candidates go straight into `out` and are thinned there.
                self.model.read_output(0, |raw| {
                    output.decode(raw, placement, labels, thresholds, best, out)
                })?;
                class_aware_nms_in_place(out, *nms_iou, MAX_OBJECTS);
                Ok(())
            }
        }
    }
}
