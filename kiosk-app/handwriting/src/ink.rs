//! What the pad hands the recognizer: strokes on a canvas, and the JSON form
//! the CLI reads (`{"width": W, "height": H, "strokes": [[[x, y], ...], ...]}`).

use serde::Deserialize;

/// Points a drawing may hold in all, so a runaway input cannot make a
/// recognition take long (a finger writing one character leaves a few
/// hundred).
pub const MAX_POINTS: usize = 20_000;
/// Strokes a drawing may hold (the most complex common characters have about
/// 30).
pub const MAX_STROKES: usize = 64;

/// Strokes written on a `width`×`height` canvas, in the order written; each
/// stroke is the points of one touch from press to release, x to the right
/// and y downwards (screen coordinates), in any unit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ink {
    pub width: f32,
    pub height: f32,
    pub strokes: Vec<Vec<[f32; 2]>>,
}

/// Why an ink (or its JSON) cannot be recognized.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InkError {
    #[error(
        "not valid JSON at line {line}, column {column}: {message}; write {{\"width\": W, \"height\": H, \"strokes\": [[[x, y], ...], ...]}}"
    )]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
}

fn field(field: impl Into<String>, message: impl Into<String>) -> InkError {
    InkError::Field {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InkJson {
    width: Option<serde_json::Value>,
    height: Option<serde_json::Value>,
    strokes: Option<serde_json::Value>,
}

impl Ink {
    pub fn new(width: f32, height: f32) -> Ink {
        Ink {
            width,
            height,
            strokes: Vec::new(),
        }
    }

    /// Reads the CLI's JSON form; errors name the field (`strokes[2][5]`)
    /// and say what is expected.
    pub fn from_json(text: &str) -> Result<Ink, InkError> {
        let raw: InkJson = serde_json::from_str(text).map_err(|e| InkError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let side = |name: &str, v: Option<serde_json::Value>| -> Result<f32, InkError> {
            let v = v.ok_or_else(|| {
                field(
                    name,
                    "missing; give the canvas size the strokes were drawn on",
                )
            })?;
            v.as_f64()
                .map(|x| x as f32)
                .ok_or_else(|| field(name, format!("must be a number, found {v}")))
        };
        let width = side("width", raw.width)?;
        let height = side("height", raw.height)?;
        let strokes = raw.strokes.ok_or_else(|| {
            field(
                "strokes",
                "missing; give a list of strokes, each a list of [x, y] points",
            )
        })?;
        let list = strokes.as_array().ok_or_else(|| {
            field(
                "strokes",
                "must be a list of strokes, each a list of [x, y] points",
            )
        })?;
        let mut ink = Ink::new(width, height);
        for (i, stroke) in list.iter().enumerate() {
            let points = stroke
                .as_array()
                .ok_or_else(|| field(format!("strokes[{i}]"), "must be a list of [x, y] points"))?;
            let mut out = Vec::with_capacity(points.len());
            for (j, p) in points.iter().enumerate() {
                let xy = p
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .and_then(|a| Some([a[0].as_f64()? as f32, a[1].as_f64()? as f32]))
                    .ok_or_else(|| {
                        field(
                            format!("strokes[{i}][{j}]"),
                            format!("must be a point [x, y] of two numbers, found {p}"),
                        )
                    })?;
                out.push(xy);
            }
            ink.strokes.push(out);
        }
        ink.validate()?;
        Ok(ink)
    }

    /// Checks what the recognizer needs: a real canvas, at least one
    /// stroke, no empty stroke, finite points, bounded size.
    pub fn validate(&self) -> Result<(), InkError> {
        for (name, v) in [("width", self.width), ("height", self.height)] {
            if !v.is_finite() || !(1.0..=100_000.0).contains(&v) {
                return Err(field(
                    name,
                    format!("must be between 1 and 100000 (the canvas size), found {v}"),
                ));
            }
        }
        if self.strokes.is_empty() {
            return Err(field(
                "strokes",
                "is empty; write at least one stroke (a list of [x, y] points)",
            ));
        }
        if self.strokes.len() > MAX_STROKES {
            return Err(field(
                "strokes",
                format!(
                    "has {} strokes; one character has at most {MAX_STROKES}",
                    self.strokes.len()
                ),
            ));
        }
        let mut total = 0;
        for (i, stroke) in self.strokes.iter().enumerate() {
            if stroke.is_empty() {
                return Err(field(
                    format!("strokes[{i}]"),
                    "is empty; every stroke needs at least one [x, y] point",
                ));
            }
            total += stroke.len();
            if let Some(j) = stroke
                .iter()
                .position(|p| !p[0].is_finite() || !p[1].is_finite())
            {
                return Err(field(
                    format!("strokes[{i}][{j}]"),
                    "is not a finite number",
                ));
            }
        }
        if total > MAX_POINTS {
            return Err(field(
                "strokes",
                format!("has {total} points in all; at most {MAX_POINTS} are accepted"),
            ));
        }
        Ok(())
    }

    /// The strokes as Zinnia takes them: integers on a canvas whose longer
    /// side is 1000 (so a small canvas loses no precision), points clamped
    /// to the canvas.
    pub(crate) fn to_grid(&self) -> (usize, usize, Vec<Vec<(i32, i32)>>) {
        let scale = 1000.0 / self.width.max(self.height);
        let w = (self.width * scale).round().max(1.0);
        let h = (self.height * scale).round().max(1.0);
        let strokes = self
            .strokes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| {
                        (
                            (p[0] * scale).round().clamp(0.0, w) as i32,
                            (p[1] * scale).round().clamp(0.0, h) as i32,
                        )
                    })
                    .collect()
            })
            .collect();
        (w as usize, h as usize, strokes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cli_form() {
        let ink = Ink::from_json(
            r#"{"width": 300, "height": 200, "strokes": [[[1, 2], [3.5, 4]], [[5, 6]]]}"#,
        )
        .expect("valid ink");
        assert_eq!(ink.width, 300.0);
        assert_eq!(
            ink.strokes,
            vec![vec![[1.0, 2.0], [3.5, 4.0]], vec![[5.0, 6.0]]]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |s: &str| Ink::from_json(s).expect_err(s).to_string();
        assert!(
            err("{").starts_with("not valid JSON at line 1"),
            "{}",
            err("{")
        );
        assert!(
            err(r#"{"height": 1, "strokes": [[[0,0]]]}"#).starts_with("field `width`: missing")
        );
        assert!(
            err(r#"{"width": "a", "height": 1, "strokes": [[[0,0]]]}"#)
                .starts_with("field `width`: must be a number")
        );
        assert!(
            err(r#"{"width": 0, "height": 1, "strokes": [[[0,0]]]}"#)
                .starts_with("field `width`: must be between")
        );
        assert!(
            err(r#"{"width": 9, "height": 9, "strokes": []}"#)
                .starts_with("field `strokes`: is empty")
        );
        assert!(
            err(r#"{"width": 9, "height": 9, "strokes": [[[0,0]], []]}"#)
                .starts_with("field `strokes[1]`: is empty")
        );
        assert!(
            err(r#"{"width": 9, "height": 9, "strokes": [[[0,0], [1]]]}"#)
                .starts_with("field `strokes[0][1]`: must be a point")
        );
        assert!(
            err(r#"{"width": 9, "height": 9, "strokes": {}}"#)
                .starts_with("field `strokes`: must be a list")
        );
        assert!(
            err(r#"{"width": 9, "height": 9, "strokes": [[[0,0]]], "colour": 1}"#)
                .contains("unknown field `colour`")
        );
        let many = format!(
            r#"{{"width": 9, "height": 9, "strokes": [{}]}}"#,
            vec!["[[0,0]]"; MAX_STROKES + 1].join(",")
        );
        assert!(err(&many).contains(&format!("one character has at most {MAX_STROKES}")));
    }

    #[test]
    fn grid_keeps_the_aspect_and_clamps() {
        let ink = Ink {
            width: 2.0,
            height: 1.0,
            strokes: vec![vec![[1.0, 0.5], [3.0, -1.0]]],
        };
        let (w, h, s) = ink.to_grid();
        assert_eq!((w, h), (1000, 500));
        assert_eq!(s, vec![vec![(500, 250), (1000, 0)]]);
    }
}
