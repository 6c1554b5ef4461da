//! SSD anchors of MediaPipe's BlazeFace models, in the order of the models' outputs.

/// The anchor layout of a BlazeFace model, told apart by its input size.
pub fn for_input(size: usize) -> Option<Vec<[f32; 2]>> {
    match size {
        128 => Some(blazeface_short_range()),
        192 => Some(blazeface_full_range()),
        _ => None,
    }
}

/// Full range (192×192 input): one anchor per cell of a 48×48 grid (stride 4), offset
/// 0.5; 2304 in all (MediaPipe's face_detection_full_range.pbtxt).
pub fn blazeface_full_range() -> Vec<[f32; 2]> {
    grid_anchors(&[(48, 1)])
}

fn grid_anchors(layers: &[(usize, usize)]) -> Vec<[f32; 2]> {
    let mut anchors = Vec::new();
    for &(grid, per_cell) in layers {
        for y in 0..grid {
            for x in 0..grid {
                let centre = [
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                ];
                for _ in 0..per_cell {
                    anchors.push(centre);
                }
            }
        }
    }
    anchors
}

/// Anchor centres (normalised) for BlazeFace front/short-range: a 16×16 grid with 2
/// anchors per cell (stride 8) then an 8×8 grid with 6 anchors per cell (stride 16),
/// offset 0.5, fixed size; 896 in all. Same order as the model's outputs.
pub fn blazeface_short_range() -> Vec<[f32; 2]> {
    grid_anchors(&[(16, 2), (8, 6)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn there_are_896_anchors_with_the_stride_16_block_last() {
        let a = super::blazeface_short_range();
        assert_eq!(a.len(), 896);
        assert_eq!(a[0], [0.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(a[512], [0.5 / 8.0, 0.5 / 8.0]);
        assert_eq!(a[895], [7.5 / 8.0, 7.5 / 8.0]);
    }

    #[test]
    fn the_full_range_model_has_one_anchor_per_cell_of_a_48_grid() {
        let a = super::blazeface_full_range();
        assert_eq!(a.len(), 2304);
        assert_eq!(a[1], [1.5 / 48.0, 0.5 / 48.0]);
        assert_eq!(a[2303], [47.5 / 48.0, 47.5 / 48.0]);
    }
}
