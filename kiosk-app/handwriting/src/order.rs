//! Components the zh_CN model learnt in another stroke order than the one
//! taught in Chinese schools, so a resident writing them the usual way is
//! not understood: the model expects 辶 (written last at school: 这 = 文 then
//! 辶) and 廴 (建) *first*. Zinnia compares strokes in the order written, so
//! for characters with such a component the recognizer also asks about the
//! drawing with its last strokes moved to the front, and admits from that
//! answer only the characters that have the component.
//!
//! Found on the fixture's tuning characters (运 远 连 造 rank 0 with the
//! last three strokes first, none of them in Zinnia's first 300 as
//! written; 建 the same with two); the character lists are every standard
//! character whose radical (Unihan kRSUnicode) is the component
//! (`data/make-common-chars.py --radical 162`, `--radical 54` print them).
//! On the tuning set this took top-1 from 113 to 118 and top-5 from 131 to
//! 136 of 150; it costs two more classifications, only for drawings that
//! end with a long bottom sweep.

/// A component the model expects first but residents write last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateComponent {
    pub name: char,
    /// Its strokes, written last at school.
    pub strokes: usize,
    /// The standard characters with it as their radical.
    pub characters: &'static str,
}

/// The components, each costing one more Zinnia classification when the
/// drawing has more strokes than the component.
pub const LATE_COMPONENTS: &[LateComponent] = &[
    LateComponent {
        name: '辶',
        strokes: 3,
        characters: "巡边辽达辿迁迂迄迅过迈迎运近迓返迕还这进远违连迟迢迤迥迦迨迩迪迫迭迮述迳迷迸迹迺追退送适逃逄逅逆选逊逋逍透逐逑递途逖逗通逛逝逞速造逡逢逦逭逮逯逴逵逶逸逻逼逾遁遂遄遆遇遍遏遐遑遒道遗遘遛遢遣遥遨遭遮遴遵遹遽避邀邂邃邈邋",
    },
    LateComponent {
        name: '廴',
        strokes: 2,
        characters: "延廷建",
    },
];

impl LateComponent {
    /// Whether `c` has this component.
    pub fn in_character(&self, c: char) -> bool {
        self.characters.contains(c)
    }

    /// The order to show Zinnia: the last `strokes` of `n` first, then the
    /// rest as written; `None` when the drawing is too short to hold the
    /// component and something else.
    pub fn order(&self, n: usize) -> Option<Vec<usize>> {
        (n > self.strokes).then(|| (n - self.strokes..n).chain(0..n - self.strokes).collect())
    }

    /// Whether the drawing ends as both components do, with the long
    /// sweep along the bottom (平捺): a last stroke running rightwards over
    /// at least half the drawing's width, in its lowest quarter. Only then
    /// is the moved order asked about, so characters without the
    /// component are neither slowed down nor crowded out.
    pub fn ends_like(ink: &[Vec<[f32; 2]>]) -> bool {
        let (Some(last), false) = (ink.last(), ink.len() < 2) else {
            return false;
        };
        let bounds = |points: &mut dyn Iterator<Item = &[f32; 2]>| {
            points.fold(
                [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
                |[x0, y0, x1, y1], p| [x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1])],
            )
        };
        let [x0, y0, x1, y1] = bounds(&mut ink.iter().flatten());
        let [lx0, _, lx1, ly1] = bounds(&mut last.iter());
        let (Some(first), Some(end)) = (last.first(), last.last()) else {
            return false;
        };
        let (w, h) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
        end[0] > first[0] && lx1 - lx0 >= 0.5 * w && ly1 >= y0 + 0.75 * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank;

    #[test]
    fn every_listed_character_is_a_standard_one_with_the_component() {
        for component in LATE_COMPONENTS {
            for c in component.characters.chars() {
                assert!(rank::entry(c).is_some(), "{c} not standard");
                assert!(
                    rank::entry(c).expect("entry").strokes > component.strokes as u32,
                    "{c}"
                );
            }
        }
        assert!(LATE_COMPONENTS[0].in_character('这'));
        assert!(!LATE_COMPONENTS[0].in_character('文'));
        assert_eq!(LATE_COMPONENTS[0].characters.chars().count(), 108);
    }

    #[test]
    fn only_a_drawing_ending_in_a_bottom_sweep_is_asked_again() {
        // 这 as written: 文 (4 strokes, here one) then 辶 ending in 平捺.
        let wen = vec![[40.0, 10.0], [60.0, 60.0]];
        let dot = vec![[10.0, 20.0], [14.0, 26.0]];
        let bend = vec![[5.0, 40.0], [15.0, 45.0], [8.0, 80.0]];
        let sweep = vec![[8.0, 80.0], [40.0, 95.0], [100.0, 100.0]];
        let zhe = [wen.clone(), dot, bend, sweep.clone()];
        assert!(LateComponent::ends_like(&zhe));
        // The same sweep written right to left, or high up, or short: no.
        let backwards: Vec<[f32; 2]> = sweep.iter().rev().copied().collect();
        assert!(!LateComponent::ends_like(&[wen.clone(), backwards]));
        let high = vec![[8.0, 15.0], [100.0, 20.0]];
        assert!(!LateComponent::ends_like(&[
            wen.clone(),
            sweep.clone(),
            high
        ]));
        let short = vec![[80.0, 95.0], [100.0, 100.0]];
        assert!(!LateComponent::ends_like(&[wen, short]));
        assert!(!LateComponent::ends_like(&[sweep]));
        assert!(!LateComponent::ends_like(&[]));
    }

    #[test]
    fn the_last_strokes_move_first() {
        let zou = LATE_COMPONENTS[0];
        assert_eq!(zou.order(7), Some(vec![4, 5, 6, 0, 1, 2, 3]));
        assert_eq!(zou.order(3), None);
        assert_eq!(LATE_COMPONENTS[1].order(3), Some(vec![1, 2, 0]));
    }
}
