//! A randomized Hadamard rotation: sign flips, then the fast Walsh–Hadamard
//! transform, scaled to keep lengths. It spreads a vector's energy evenly
//! over its coordinates, so each rotated coordinate of a unit vector is
//! close to normal with variance `1 / width`, whatever the data.

/// The rotation for vectors of up to `width` elements (a power of two).
#[derive(Debug)]
pub struct Rotation {
    signs: Vec<f32>,
}

impl Rotation {
    /// The rotation of dimension `dim` (padded to a power of two, at least
    /// 8) drawn from `seed`.
    pub fn new(dim: usize, seed: u64) -> Self {
        let n = dim.next_power_of_two().max(8);
        let mut state = seed | 1;
        let signs = (0..n)
            .map(|_| {
                // xorshift64
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if state & 1 == 0 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        Rotation { signs }
    }

    /// Coordinates after rotation.
    pub fn width(&self) -> usize {
        self.signs.len()
    }

    fn hadamard(v: &mut [f32]) {
        let n = v.len();
        let mut h = 1;
        while h < n {
            for block in v.chunks_mut(2 * h) {
                let (a, b) = block.split_at_mut(h);
                for (x, y) in a.iter_mut().zip(b) {
                    let (s, d) = (*x + *y, *x - *y);
                    *x = s;
                    *y = d;
                }
            }
            h *= 2;
        }
        let scale = 1.0 / (n as f32).sqrt();
        v.iter_mut().for_each(|x| *x *= scale);
    }

    /// Rotates `v` (zero-padded to the width).
    pub fn apply(&self, v: &[f32]) -> Vec<f32> {
        let mut out: Vec<f32> = (0..self.width())
            .map(|i| v.get(i).copied().unwrap_or(0.0) * self.signs[i])
            .collect();
        Self::hadamard(&mut out);
        out
    }

    /// Undoes [`Rotation::apply`]: the first `dim` coordinates.
    pub fn invert(&self, u: &[f32], dim: usize) -> Vec<f32> {
        let mut out: Vec<f32> = (0..self.width())
            .map(|i| u.get(i).copied().unwrap_or(0.0))
            .collect();
        Self::hadamard(&mut out);
        out.iter_mut().zip(&self.signs).for_each(|(x, s)| *x *= s);
        out.truncate(dim);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_lengths_and_inverts() {
        let r = Rotation::new(12, 7);
        let v: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
        let u = r.apply(&v);
        let norm = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm(&u) - norm(&v)).abs() < 1e-4);
        let back = r.invert(&u, 12);
        for (a, b) in back.iter().zip(&v) {
            assert!((a - b).abs() < 1e-4);
        }
    }
}
