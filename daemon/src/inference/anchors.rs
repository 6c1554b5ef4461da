//! SSD anchors of MediaPipe's BlazeFace short-range model.

/// Anchor centres (normalised) for BlazeFace front/short-range: a 16×16 grid with 2
/// anchors per cell (stride 8) then an 8×8 grid with 6 anchors per cell (stride 16),
/// offset 0.5, fixed size; 896 in all. Same order as the model's outputs.
pub fn blazeface_short_range() -> Vec<[f32; 2]> {
    let mut anchors = Vec::with_capacity(896);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
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
}
