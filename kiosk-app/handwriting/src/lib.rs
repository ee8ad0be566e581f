//! Handwritten Chinese characters for the kiosk's search pad.
//!
//! [`Recognizer`] wraps Zinnia (`libzinnia.so.0`, loaded at run time) with
//! the Simplified Chinese model from Debian's
//! `tegaki-zinnia-simplified-chinese`, and re-ranks its candidates by how
//! common each character is ([`rank`]): Zinnia's own first choice for a
//! drawn 口 is the radical 囗. [`probe`] says, for the staff panel, whether
//! handwriting works on this machine and if not why.
//!
//! The model learnt some characters in another stroke order or shape than
//! the one taught at school. [`Recognizer::with_templates`] adds a second
//! source, the school form of the 3,500 most common characters
//! ([`templates`]: stroke medians matched stroke by stroke, in any order);
//! its closest characters are merged with Zinnia's ([`merge`]). Without the
//! template file Zinnia answers alone.
//!
//! Recognition of one character takes milliseconds, but it must not run on
//! the UI thread; kiosk-app's `handwriting` module gives it a worker thread.

mod ffi;
mod ink;
pub mod order;
pub mod rank;
pub mod templates;

use std::path::{Path, PathBuf};

pub use ffi::LIBRARY_NAME;
pub use ink::{Ink, InkError, MAX_POINTS, MAX_STROKES};
pub use templates::{Templates, TemplatesError};

/// Where Debian's `tegaki-zinnia-simplified-chinese` installs the model.
pub const DEFAULT_MODEL_PATH: &str = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model";

/// Candidates asked of Zinnia before re-ranking and filtering: enough that
/// the right character is among them when Zinnia ranks it low, few enough
/// to stay cheap (classification cost hardly depends on it).
pub const ZINNIA_NBEST: usize = 60;

/// Where the kiosk package installs the template file
/// (`data/hanzi-templates.bin`, [`templates`]).
pub const DEFAULT_TEMPLATES_PATH: &str = "/usr/share/kiosk-app/hanzi-templates.bin";

/// Template matches merged with Zinnia's candidates.
pub const TEMPLATE_NBEST: usize = 30;

/// One candidate character, best first in [`Recognizer::recognize`]'s list.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub character: char,
    /// Zinnia's own score (higher is better).
    pub zinnia_score: f32,
    /// Place in the commonness table (0 = most common).
    pub commonness: u32,
    /// The school form's distance to the drawing ([`templates`]; lower is
    /// closer), when templates are loaded and the character has one.
    pub template_distance: Option<f32>,
}

/// What went wrong, for staff and logs (never shown to residents).
#[derive(Debug, thiserror::Error)]
pub enum HandwritingError {
    #[error(
        "the handwriting library {library} cannot be loaded ({detail}); install it: apt-get install libzinnia0"
    )]
    LibraryMissing { library: String, detail: String },
    #[error(
        "handwriting model {} not found; install it (apt-get install tegaki-zinnia-simplified-chinese) or set `handwriting_model` in the app config",
        path.display()
    )]
    ModelMissing { path: PathBuf },
    #[error(
        "handwriting model {}: Zinnia cannot open it ({detail}); reinstall tegaki-zinnia-simplified-chinese or point `handwriting_model` at a Zinnia model",
        path.display()
    )]
    ModelUnreadable { path: PathBuf, detail: String },
    #[error("the strokes cannot be recognized: {0}")]
    Ink(#[from] InkError),
    #[error("Zinnia failed to classify the strokes: {0}")]
    Classify(String),
}

/// A Zinnia recognizer with the model loaded. `Send`, not `Sync`: give each
/// thread its own, or keep one on a worker thread.
pub struct Recognizer {
    zinnia: ffi::ZinniaRecognizer,
    templates: Option<Templates>,
}

impl Recognizer {
    /// Loads `libzinnia.so.0` and the model at `model`.
    pub fn open(model: &Path) -> Result<Recognizer, HandwritingError> {
        Self::open_with_library(LIBRARY_NAME, model)
    }

    /// As [`Recognizer::open`], with the library given by soname or path.
    pub fn open_with_library(library: &str, model: &Path) -> Result<Recognizer, HandwritingError> {
        let api = load_library(library, model)?;
        let zinnia = ffi::ZinniaRecognizer::open(api, model).map_err(|detail| {
            HandwritingError::ModelUnreadable {
                path: model.to_path_buf(),
                detail,
            }
        })?;
        Ok(Recognizer {
            zinnia,
            templates: None,
        })
    }

    /// Adds the school-order templates ([`templates`]): their closest
    /// characters are merged with Zinnia's.
    pub fn with_templates(mut self, templates: Templates) -> Recognizer {
        self.templates = Some(templates);
        self
    }

    /// Whether templates are loaded.
    pub fn has_templates(&self) -> bool {
        self.templates.is_some()
    }

    /// Up to `n` characters the ink may be, best first: Zinnia's
    /// candidates that are standard characters, re-ranked by how common
    /// they are and how well their stroke count fits the drawing. For a
    /// drawing that ends as 辶 or 廴 does, Zinnia is also asked with those
    /// strokes first, the order its model learnt ([`order`]): up to three
    /// classifications in all.
    pub fn recognize(&self, ink: &Ink, n: usize) -> Result<Vec<Candidate>, HandwritingError> {
        self.recognize_weighted(ink, n, rank::WEIGHTS)
    }

    /// [`Recognizer::recognize`] with other weights (for tuning them).
    pub fn recognize_weighted(
        &self,
        ink: &Ink,
        n: usize,
        weights: rank::Weights,
    ) -> Result<Vec<Candidate>, HandwritingError> {
        let raw = self.zinnia_candidates(ink, weights)?;
        let templates = self.templates.as_ref().filter(|_| weights.template > 0.0);
        let Some(templates) = templates else {
            return Ok(rank::rerank(&raw, ink.strokes.len(), n, weights));
        };
        Ok(merge(templates, &raw, ink, n, weights))
    }

    /// Zinnia's candidates as (value, score), before re-ranking: its top
    /// [`ZINNIA_NBEST`] for the drawing, and for a drawing that ends as 辶
    /// or 廴 do the characters with them found with their strokes moved
    /// first, less `weights.moved_order`.
    pub fn zinnia_candidates(
        &self,
        ink: &Ink,
        weights: rank::Weights,
    ) -> Result<Vec<(String, f32)>, HandwritingError> {
        let mut raw = self.recognize_raw(ink, ZINNIA_NBEST)?;
        // An infinite penalty turns the moved order off (for comparison).
        let late = weights.moved_order.is_finite() && order::LateComponent::ends_like(&ink.strokes);
        for component in order::LATE_COMPONENTS.iter().filter(|_| late) {
            let Some(order) = component.order(ink.strokes.len()) else {
                continue;
            };
            let moved = Ink {
                width: ink.width,
                height: ink.height,
                strokes: order.iter().map(|&i| ink.strokes[i].clone()).collect(),
            };
            raw.extend(
                self.recognize_raw(&moved, ZINNIA_NBEST)?
                    .into_iter()
                    .filter(|(v, _)| v.chars().next().is_some_and(|c| component.in_character(c)))
                    .map(|(v, s)| (v, s - weights.moved_order)),
            );
        }
        Ok(raw)
    }

    /// The templates, when loaded (for tuning and diagnostics).
    pub fn templates(&self) -> Option<&Templates> {
        self.templates.as_ref()
    }

    /// Zinnia's own top `n` (value, score), unfiltered, in its order: for
    /// comparison in benchmarks and diagnostics.
    pub fn recognize_raw(
        &self,
        ink: &Ink,
        n: usize,
    ) -> Result<Vec<(String, f32)>, HandwritingError> {
        ink.validate()?;
        let (w, h, strokes) = ink.to_grid();
        self.zinnia
            .classify(w, h, &strokes, n.max(1))
            .map_err(HandwritingError::Classify)
    }
}

/// Zinnia's candidates and the templates' closest characters, each scored
/// by [`rank::combined_score`] less `weights.template` times its template
/// distance. A character only Zinnia offers and that has no template is
/// charged the farthest distance among the templates' matches; one only the
/// templates offer is scored as if Zinnia had put it `weights.template_only`
/// below its last candidate.
pub fn merge(
    templates: &Templates,
    raw: &[(String, f32)],
    ink: &Ink,
    n: usize,
    weights: rank::Weights,
) -> Vec<Candidate> {
    let drawn = ink.strokes.len();
    let matches = templates.best(ink, TEMPLATE_NBEST);
    let farthest = matches.last().map_or(1.0, |m| m.distance);
    let floor = raw.iter().map(|(_, s)| *s).fold(f32::MAX, f32::min);
    let floor = if floor == f32::MAX { -1.0 } else { floor } - weights.template_only;
    let mut scored = rank::scored(raw, drawn, weights);
    for (score, c) in &mut scored {
        let d = matches
            .iter()
            .find(|m| m.character == c.character)
            .map(|m| m.distance)
            .or_else(|| templates.distance_to(ink, c.character));
        c.template_distance = d;
        *score -= weights.template * d.unwrap_or(farthest);
    }
    for m in &matches {
        if scored.iter().any(|(_, c)| c.character == m.character) {
            continue;
        }
        let Some(e) = rank::entry(m.character) else {
            continue;
        };
        let score = rank::combined_score(floor, e, drawn, weights) - weights.template * m.distance;
        scored.push((
            score,
            Candidate {
                character: m.character,
                zinnia_score: floor,
                commonness: e.place,
                template_distance: Some(m.distance),
            },
        ));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(n);
    scored.into_iter().map(|(_, c)| c).collect()
}

/// Whether handwriting works on this kiosk, in words for the staff panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub ready: bool,
    /// One plain-Chinese line for hall staff: what it means for the hall.
    pub plain: String,
    /// The technical reason and the fix, for the 详细信息 part.
    pub technical: String,
}

/// Tries to open the library and the model at `model` and says what
/// residents get. Opening maps the model (tens of milliseconds); call it at
/// start or when the staff panel opens, not per frame.
pub fn probe(model: &Path) -> Availability {
    match check(model) {
        Ok(()) => Availability::ready(model),
        Err(e) => Availability::from_error(&e),
    }
}

/// The first word of a Zinnia binary model XOR the file's length
/// (`DIC_MAGIC_ID` in Zinnia's recognizer.cpp), and the model version
/// Zinnia 0.06 reads.
const ZINNIA_MODEL_MAGIC: u32 = 0x0ef7_1821;
const ZINNIA_MODEL_VERSION: u32 = 1;

/// Whether handwriting can work here, cheaply (about a millisecond): the
/// library loads with every function the FFI needs, and the model file is
/// a Zinnia binary model whose header matches its length and version, the
/// checks Zinnia itself makes first. Loading the model (28 MiB, tens of
/// milliseconds) is left to the first stroke, so a kiosk starting up, or a
/// screenshot, does not pay for it; a model broken past its header is
/// then reported by [`Recognizer::open`].
pub fn check(model: &Path) -> Result<(), HandwritingError> {
    check_with_library(LIBRARY_NAME, model)
}

/// The library loaded, once the model file is there: the first two steps
/// of [`Recognizer::open`] and of [`check`].
fn load_library(library: &str, model: &Path) -> Result<std::sync::Arc<ffi::Api>, HandwritingError> {
    let api = ffi::Api::load(library).map_err(|detail| HandwritingError::LibraryMissing {
        library: library.to_string(),
        detail,
    })?;
    if !model.is_file() {
        return Err(HandwritingError::ModelMissing {
            path: model.to_path_buf(),
        });
    }
    Ok(api)
}

/// As [`check`], with the library given by soname or path.
pub fn check_with_library(library: &str, model: &Path) -> Result<(), HandwritingError> {
    load_library(library, model)?;
    let unreadable = |detail: String| HandwritingError::ModelUnreadable {
        path: model.to_path_buf(),
        detail,
    };
    let mut file = std::fs::File::open(model).map_err(|e| unreadable(e.to_string()))?;
    let len = file
        .metadata()
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    let mut head = [0u8; 12];
    std::io::Read::read_exact(&mut file, &mut head)
        .map_err(|_| unreadable(format!("{len} bytes is too short for a Zinnia model")))?;
    let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let (magic, version, count) = (word(0), word(4), word(8));
    if u32::try_from(len).ok() != Some(magic ^ ZINNIA_MODEL_MAGIC) {
        return Err(unreadable(format!(
            "not a Zinnia binary model, or cut short: its header does not match its length of {len} bytes"
        )));
    }
    if version != ZINNIA_MODEL_VERSION {
        return Err(unreadable(format!(
            "model version {version}; this Zinnia reads version {ZINNIA_MODEL_VERSION}"
        )));
    }
    if count == 0 {
        return Err(unreadable("the model holds no characters".into()));
    }
    Ok(())
}

impl Availability {
    /// Handwriting works, with the model at `model`.
    pub fn ready(model: &Path) -> Availability {
        Availability {
            ready: true,
            plain: "手写输入可用".into(),
            technical: format!("Zinnia ({LIBRARY_NAME}), model {}", model.display()),
        }
    }

    /// What a failed [`Recognizer::open`] means for the hall.
    pub fn from_error(e: &HandwritingError) -> Availability {
        let plain = match e {
            HandwritingError::LibraryMissing { .. } => {
                "手写输入不可用：缺少手写识别程序，群众只能用拼音和数字键盘"
            }
            HandwritingError::ModelMissing { .. } | HandwritingError::ModelUnreadable { .. } => {
                "手写输入不可用：缺少手写识别模型，群众只能用拼音和数字键盘"
            }
            HandwritingError::Ink(_) | HandwritingError::Classify(_) => "手写识别出错",
        };
        Availability {
            ready: false,
            plain: plain.into(),
            technical: e.to_string(),
        }
    }
}
