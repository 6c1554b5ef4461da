//! The face path of one frame: find faces (BlazeFace, or the previous frame's landmarks
//! when tracking), confirm each with FaceMesh V2's presence score, and measure head pose
//! by PnP and eye gaze from the landmarks.
//!
//! Tracking as MediaPipe's face landmarker does it: the region for the next frame comes
//! from this frame's landmarks, and the detector runs only when nothing is tracked or
//! every `redetect_every` frames (to find a second person who just walked in). A track
//! whose presence score drops below the threshold is lost; stills (`eval`, `detect`)
//! forget tracks between images so each is judged on its own.
//!
//! A detection the mesh cannot confirm is dropped unless the detector is very sure of it
//! (`unconfirmed_min_score`): then it is a face without landmarks (`Face::pose_unknown`,
//! a head in profile or behind a hand), held until the next detector run because there
//! are no landmarks to track it by.

use std::path::Path;

use super::downscale::Downscaled;
use super::error::InferenceError;
use super::face::FaceDetector;
use super::face_mesh::{FaceMesh, LEFT_EYE_OUTER, Landmarks, RIGHT_EYE_OUTER};
use super::face_roi::FaceRoi;
use super::gaze;
use super::head_pose::{self, Camera, CanonicalFace, POSE_LANDMARKS};
use super::model::CompiledModel;
use super::preprocess::{FrameImage, ModelInput};
use crate::detections::{BBox, Face};

/// Mesh points that make up the face outline (the 468 mesh points; irises excluded).
const MESH_POINTS: usize = 468;
/// Mesh points standing in for BlazeFace's six keypoints (eye centres from the corners,
/// nose tip, mouth centre, ear tragions), so overlays draw the same marks either way.
const KEYPOINT_SOURCES: [[usize; 2]; 6] = [
    [33, 133],
    [362, 263],
    [1, 1],
    [13, 14],
    [234, 234],
    [454, 454],
];
/// Two regions whose faces overlap this much are the same face.
const SAME_FACE_IOU: f32 = 0.5;

#[derive(Clone, Copy, Debug)]
struct Track {
    roi: FaceRoi,
    /// The detector's score when the face was last detected.
    detector_score: f32,
    /// The region comes from the previous frame's landmarks, not from a detection.
    tracked: bool,
    /// The detection this region came from (index into `FacePath::merged`), while it is
    /// fresh from this frame's detector run.
    detection: Option<usize>,
}

pub struct FacePathOptions {
    /// Minimum face-presence score of the landmark model (0..1).
    pub min_presence: f32,
    /// A detection the mesh does not confirm still counts, without pose, from this score.
    pub unconfirmed_min_score: f32,
    /// Run the detector at least every this many frames while tracking (1 = always).
    pub redetect_every: u32,
    /// The camera's horizontal field of view, for the PnP camera model.
    pub horizontal_fov_deg: f32,
}

pub struct FacePath {
    /// Face detectors whose detections are merged: the full-range model finds far faces,
    /// the short-range one finds close, strongly turned faces the full-range one misses.
    detectors: Vec<FaceDetector>,
    mesh: FaceMesh,
    canonical: CanonicalFace,
    opts: FacePathOptions,
    tracks: Vec<Track>,
    frames_since_detection: u32,
    detected: Vec<Face>,
    merged: Vec<Face>,
    candidates: Vec<Track>,
    /// Faces without landmarks from the last detector run, repeated until the next one.
    held: Vec<Face>,
}

/// The frame one pass reads: its pixels, and its shared smaller copy when there is one.
#[derive(Clone, Copy)]
struct Frame<'a> {
    rgb: &'a [u8],
    w: u32,
    h: u32,
    small: Option<&'a Downscaled>,
}

/// What the face path did on one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FacePathRun {
    pub detector_ran: bool,
    pub mesh_runs: u32,
}

impl FacePath {
    pub fn new(
        detectors: Vec<FaceDetector>,
        mesh: FaceMesh,
        canonical_path: &Path,
        opts: FacePathOptions,
    ) -> Result<FacePath, InferenceError> {
        let canonical =
            CanonicalFace::load(canonical_path).map_err(|e| InferenceError::ModelInvalid {
                path: canonical_path.to_owned(),
                reason: e.reason,
            })?;
        Ok(FacePath {
            detectors,
            mesh,
            canonical,
            opts,
            tracks: Vec::new(),
            frames_since_detection: 0,
            detected: Vec::new(),
            merged: Vec::new(),
            candidates: Vec::new(),
            held: Vec::new(),
        })
    }

    pub fn detector_model(&self) -> &CompiledModel {
        self.detectors[0].model()
    }

    pub fn mesh_model(&self) -> &CompiledModel {
        self.mesh.model()
    }

    pub fn forget_tracks(&mut self) {
        self.tracks.clear();
        self.held.clear();
    }

    /// Whether the next `detect` runs the face detectors (nothing tracked, or the
    /// periodic redetection is due).
    pub fn detector_due(&self) -> bool {
        self.tracks.is_empty() || self.frames_since_detection + 1 >= self.opts.redetect_every.max(1)
    }

    /// How each face detector takes a whole frame.
    pub fn detector_inputs(&self) -> impl Iterator<Item = ModelInput> + '_ {
        self.detectors.iter().map(|d| d.model_input())
    }

    /// Faces in a packed RGB frame, boxes normalised to the frame.
    pub fn detect(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        out: &mut Vec<Face>,
    ) -> Result<FacePathRun, InferenceError> {
        self.detect_with(rgb, w, h, None, out)
    }

    /// As `detect`; the detectors read `small` (the frame's shared smaller copy) when
    /// given, the mesh always the frame itself (a far face's crop needs every pixel).
    pub fn detect_with(
        &mut self,
        rgb: &[u8],
        w: u32,
        h: u32,
        small: Option<&Downscaled>,
        out: &mut Vec<Face>,
    ) -> Result<FacePathRun, InferenceError> {
        let mut run = FacePathRun::default();
        let due = self.detector_due();
        let frame = Frame { rgb, w, h, small };
        let lost = self.run_once(frame, due, out, &mut run)?;
        if lost && !run.detector_ran {
            // A tracked face slipped out of its region: look for it on this same frame
            // rather than report it missing until the next detection.
            self.run_once(frame, true, out, &mut run)?;
        }
        Ok(run)
    }

    /// One pass: candidates from the detector (when `detect`) and the tracks, then the
    /// mesh on each. Returns whether a tracked face was lost.
    fn run_once(
        &mut self,
        frame: Frame<'_>,
        detect: bool,
        out: &mut Vec<Face>,
        run: &mut FacePathRun,
    ) -> Result<bool, InferenceError> {
        let Frame { rgb, w, h, small } = frame;
        self.candidates.clear();
        if detect {
            run.detector_ran = true;
            self.frames_since_detection = 0;
            let (fw, fh) = (w as f32, h as f32);
            self.merged.clear();
            for detector in &mut self.detectors {
                let image = small.map_or(FrameImage::full(rgb, w, h), |s| s.image());
                detector.detect_image(image, &mut self.detected)?;
                for f in self.detected.drain(..) {
                    match self
                        .merged
                        .iter_mut()
                        .find(|m| m.bbox.iou(&f.bbox) > SAME_FACE_IOU)
                    {
                        Some(m) if m.score >= f.score => {}
                        Some(m) => *m = f,
                        None => self.merged.push(f),
                    }
                }
            }
            self.held.clear();
            for (i, f) in self.merged.iter().enumerate() {
                let px = |p: [f32; 2]| [p[0] * fw, p[1] * fh];
                let (Some(&re), Some(&le)) = (f.keypoints.first(), f.keypoints.get(1)) else {
                    continue;
                };
                let b = [
                    f.bbox.x0 * fw,
                    f.bbox.y0 * fh,
                    f.bbox.x1 * fw,
                    f.bbox.y1 * fh,
                ];
                self.candidates.push(Track {
                    roi: FaceRoi::from_detection(b, px(re), px(le)),
                    detector_score: f.score,
                    tracked: false,
                    detection: Some(i),
                });
            }
            // A tracked face the detector missed this time (a turned head) stays tracked
            // as long as the mesh still sees it.
            for t in &self.tracks {
                let covered = self
                    .candidates
                    .iter()
                    .any(|c| iou(&c.roi.bounds(), &t.roi.bounds()) > SAME_FACE_IOU / 2.0);
                if !covered {
                    self.candidates.push(*t);
                }
            }
        } else {
            self.frames_since_detection += 1;
            self.candidates.extend_from_slice(&self.tracks);
        }

        out.clear();
        self.tracks.clear();
        let mut lost = false;
        let camera = Camera::new(w, h, self.opts.horizontal_fov_deg);
        for c in &self.candidates {
            run.mesh_runs += 1;
            let lm = self.mesh.run(rgb, w, h, &c.roi)?;
            if lm.presence < self.opts.min_presence {
                lost |= c.tracked;
                if let Some(i) = c.detection
                    && c.detector_score >= self.opts.unconfirmed_min_score
                {
                    self.held.push(Face {
                        mesh_score: Some(lm.presence),
                        pose_unknown: true,
                        ..self.merged[i].clone()
                    });
                }
                continue;
            }
            let face = measure(&self.canonical, lm, c.detector_score, &camera, w, h);
            if out.iter().any(|f| f.bbox.iou(&face.bbox) > SAME_FACE_IOU) {
                continue; // two regions converged on one face
            }
            self.tracks.push(Track {
                roi: FaceRoi::from_landmarks(
                    &lm.frame_px[..MESH_POINTS],
                    lm.frame_px[RIGHT_EYE_OUTER],
                    lm.frame_px[LEFT_EYE_OUTER],
                ),
                detector_score: c.detector_score,
                tracked: true,
                detection: None,
            });
            out.push(face);
        }
        for held in &self.held {
            // A tracked face that has moved into the held detection's place is the same
            // face, now with landmarks.
            if !out
                .iter()
                .any(|f| f.bbox.iou(&held.bbox) > SAME_FACE_IOU / 2.0)
            {
                out.push(held.clone());
            }
        }
        Ok(lost)
    }
}

fn measure(
    canonical: &CanonicalFace,
    lm: &Landmarks,
    score: f32,
    camera: &Camera,
    w: u32,
    h: u32,
) -> Face {
    let (fw, fh) = (w as f32, h as f32);
    let mesh = &lm.frame_px[..MESH_POINTS];
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in mesh {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    let bbox = BBox {
        x0: lo[0] / fw,
        y0: lo[1] / fh,
        x1: hi[0] / fw,
        y1: hi[1] / fh,
    }
    .clamped();
    let keypoints = KEYPOINT_SOURCES
        .iter()
        .map(|[a, b]| {
            let (pa, pb) = (lm.frame_px[*a], lm.frame_px[*b]);
            [(pa[0] + pb[0]) / 2.0 / fw, (pa[1] + pb[1]) / 2.0 / fh]
        })
        .collect();
    let mut image = [[0f64; 2]; POSE_LANDMARKS.len()];
    for (p, &i) in image.iter_mut().zip(POSE_LANDMARKS.iter()) {
        *p = [lm.frame_px[i][0] as f64, lm.frame_px[i][1] as f64];
    }
    let pose = head_pose::solve(canonical, &image, camera);
    Face {
        score,
        bbox,
        keypoints,
        yaw_deg: pose.map_or(0.0, |p| p.yaw_deg),
        pitch_deg: pose.map_or(0.0, |p| p.pitch_deg),
        roll_deg: pose.map_or(0.0, |p| p.roll_deg),
        mesh_score: Some(lm.presence),
        gaze: gaze::estimate(&lm.upright_px),
        looking_away: false,
        pose_unknown: false,
    }
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    BBox::from(*a).iou(&BBox::from(*b))
}
