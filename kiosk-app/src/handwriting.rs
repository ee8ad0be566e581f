//! The search pad's handwriting recognizer, off the UI thread.
//!
//! [`HandwritingWorker`] owns one `kiosk_handwriting::Recognizer` on a
//! thread of its own. The pad calls [`HandwritingWorker::recognize`] after
//! each stroke with all the strokes so far; only the newest request counts:
//! a request still waiting when a newer one arrives is dropped unseen, and
//! an answer to anything but the newest request is never delivered. Answers
//! come back on the UI thread through `slint::invoke_from_event_loop`.
//!
//! Without Zinnia or its model the worker still exists: `recognize` answers
//! nothing, [`HandwritingWorker::availability`] says why (for the staff
//! panel, never residents), and the pinyin keyboard is unaffected.
//!
//! Tests and screenshots use [`HandwritingWorker::inline`]: the recognizer
//! runs on the calling thread and the answer is delivered before
//! `recognize` returns, so no event loop is needed.
//!
//! The school-order templates (`handwriting_templates`, installed by the
//! package) are loaded with the model and merged with Zinnia's answers;
//! without them Zinnia answers alone and the staff panel says so.
//!
//! Memory: Zinnia's zh_CN model takes about 26 MB once loaded (the
//! templates about 4 MB more), more than the rest of the idle kiosk. At
//! start only the library and the files' headers are checked, to tell staff
//! whether handwriting works (`kiosk_handwriting::check`, about a
//! millisecond, nothing kept); the worker loads the model at
//! the first stroke a resident writes (about 20 ms) and drops it again at
//! [`HandwritingWorker::release`] (the idle reset).

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

pub use kiosk_handwriting::{Availability, Ink};
use kiosk_handwriting::{Recognizer, Templates};

/// Where the recognizer's files are: Zinnia's model and the templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Files {
    pub model: PathBuf,
    pub templates: PathBuf,
}

impl Files {
    pub fn new(model: &Path, templates: &Path) -> Files {
        Files {
            model: model.to_path_buf(),
            templates: templates.to_path_buf(),
        }
    }
}

/// Candidates the pad shows after each stroke.
pub const CANDIDATES: usize = 10;

type Delivery = Box<dyn FnOnce(Vec<char>)>;

/// Runs a closure on the UI thread; false when the UI has stopped.
type Poster = Box<dyn Fn(Box<dyn FnOnce() + Send>) -> bool + Send>;

thread_local! {
    // The completion of the newest request, waiting on the UI thread (it
    // holds UI handles, which cannot cross threads), with its serial.
    static PENDING: RefCell<Option<(u64, Delivery)>> = const { RefCell::new(None) };
}

struct Request {
    serial: u64,
    ink: Ink,
}

#[derive(Default)]
struct Slot {
    request: Option<Request>,
    /// Drop the loaded model (the kiosk went idle).
    release: bool,
    stop: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
    /// Whether the worker holds the model now.
    loaded: AtomicBool,
}

enum Mode {
    /// No recognizer (library or model missing).
    Unavailable,
    /// Recognition on the calling thread (tests, screenshots); the model
    /// is loaded at the first request.
    Inline {
        files: Files,
        recognizer: RefCell<Option<Box<Recognizer>>>,
        /// Tests: requests wait here until [`HandwritingWorker::run_deferred`],
        /// as they would while a worker thread is busy.
        defer: Cell<bool>,
        deferred: RefCell<Option<(Ink, Delivery)>>,
    },
    /// Recognition on a worker thread.
    Thread {
        shared: Arc<Shared>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

pub struct HandwritingWorker {
    mode: Mode,
    availability: Availability,
    next_serial: Cell<u64>,
}

impl HandwritingWorker {
    /// Checks Zinnia, the model and the templates cheaply (library loaded,
    /// file headers read: about a millisecond, nothing kept) to tell staff
    /// what works, and starts the worker thread; the model and templates
    /// are loaded at the first stroke.
    pub fn start(files: &Files) -> HandwritingWorker {
        Self::open(
            files,
            Some(Box::new(|f| slint::invoke_from_event_loop(f).is_ok())),
        )
    }

    /// As [`HandwritingWorker::start`], recognizing on the calling thread.
    pub fn inline(files: &Files) -> HandwritingWorker {
        Self::open(files, None)
    }

    /// A worker with no recognizer, e.g. for a context without handwriting.
    pub fn unavailable(availability: Availability) -> HandwritingWorker {
        HandwritingWorker {
            mode: Mode::Unavailable,
            availability,
            next_serial: Cell::new(1),
        }
    }

    /// `post`: how the worker thread reaches the UI thread; `None` for
    /// inline recognition.
    fn open(files: &Files, post: Option<Poster>) -> HandwritingWorker {
        // Checked cheaply (library, model header); the model and the
        // templates are loaded at the first stroke (see the module's notes).
        if let Err(e) = kiosk_handwriting::check(&files.model) {
            let availability = Availability::from_error(&e);
            tracing::warn!("handwriting unavailable: {}", availability.technical);
            return Self::unavailable(availability);
        }
        let mut availability = Availability::ready(&files.model);
        match Templates::check(&files.templates) {
            Ok(n) => {
                availability.technical += &format!(
                    "; {n} school-order templates from {}",
                    files.templates.display()
                );
            }
            Err(e) => {
                tracing::warn!("handwriting: Zinnia alone: {e}");
                availability.plain = TEMPLATES_MISSING.into();
                availability.technical += &format!("; Zinnia alone: {e}");
            }
        }
        let Some(post) = post else {
            return HandwritingWorker {
                mode: Mode::Inline {
                    files: files.clone(),
                    recognizer: RefCell::new(None),
                    defer: Cell::new(false),
                    deferred: RefCell::new(None),
                },
                availability,
                next_serial: Cell::new(1),
            };
        };
        let shared = Arc::new(Shared {
            slot: Mutex::default(),
            wake: Condvar::new(),
            loaded: AtomicBool::new(false),
        });
        let spawned = std::thread::Builder::new()
            .name("handwriting".into())
            .spawn({
                let shared = shared.clone();
                let files = files.clone();
                move || work(&files, &shared, &post)
            });
        match spawned {
            Ok(thread) => HandwritingWorker {
                mode: Mode::Thread {
                    shared,
                    thread: Some(thread),
                },
                availability,
                next_serial: Cell::new(1),
            },
            Err(e) => Self::unavailable(Availability {
                ready: false,
                plain: "手写输入不可用：识别程序未能启动，群众只能用拼音和数字键盘".into(),
                technical: format!("cannot start the handwriting thread: {e}"),
            }),
        }
    }

    /// Whether handwriting works here, in a plain-Chinese line and a
    /// technical one (for the staff panel).
    pub fn availability(&self) -> &Availability {
        &self.availability
    }

    pub fn is_ready(&self) -> bool {
        self.availability.ready
    }

    /// Recognizes `ink` (all strokes so far) and calls `done` on the UI
    /// thread with up to [`CANDIDATES`] characters, best first — unless a
    /// newer request or [`HandwritingWorker::cancel`] came first, in which
    /// case `done` is dropped uncalled. Call from the UI thread. Without a
    /// recognizer, or for ink that cannot be recognized, `done` gets an
    /// empty list.
    pub fn recognize(&self, ink: Ink, done: impl FnOnce(Vec<char>) + 'static) {
        let serial = self.next_serial.get();
        self.next_serial.set(serial + 1);
        match &self.mode {
            Mode::Unavailable => {
                PENDING.with(|p| p.borrow_mut().take());
                done(Vec::new());
            }
            Mode::Inline {
                defer, deferred, ..
            } if defer.get() => {
                *deferred.borrow_mut() = Some((ink, Box::new(done)));
            }
            Mode::Inline {
                files, recognizer, ..
            } => {
                PENDING.with(|p| p.borrow_mut().take());
                let mut loaded = recognizer.borrow_mut();
                if loaded.is_none() {
                    *loaded = load(files).map(Box::new);
                }
                done(match loaded.as_deref() {
                    Some(r) => candidates(r, &ink),
                    None => Vec::new(),
                });
            }
            Mode::Thread { shared, .. } => {
                PENDING.with(|p| *p.borrow_mut() = Some((serial, Box::new(done))));
                let mut slot = shared.slot.lock().unwrap_or_else(PoisonError::into_inner);
                slot.request = Some(Request { serial, ink });
                shared.wake.notify_one();
            }
        }
    }

    /// Forgets the pending request, if any: its answer will not be
    /// delivered (the pad was cleared, or the kiosk went idle).
    pub fn cancel(&self) {
        PENDING.with(|p| p.borrow_mut().take());
        match &self.mode {
            Mode::Thread { shared, .. } => {
                let mut slot = shared.slot.lock().unwrap_or_else(PoisonError::into_inner);
                slot.request = None;
            }
            Mode::Inline { deferred, .. } => {
                deferred.borrow_mut().take();
            }
            Mode::Unavailable => {}
        }
    }

    /// Whether a request's answer is still to be delivered.
    pub fn has_pending(&self) -> bool {
        let deferred = match &self.mode {
            Mode::Inline { deferred, .. } => deferred.borrow().is_some(),
            _ => false,
        };
        deferred || PENDING.with(|p| p.borrow().is_some())
    }

    /// Tests of an inline worker: while `on`, requests wait, as they would
    /// behind a busy worker thread, until [`HandwritingWorker::run_deferred`].
    pub fn set_deferred(&self, on: bool) {
        if let Mode::Inline { defer, .. } = &self.mode {
            defer.set(on);
        }
    }

    /// Recognizes and answers the request waiting in an inline worker (see
    /// [`HandwritingWorker::set_deferred`]); false when none was waiting
    /// (none made, or cancelled).
    pub fn run_deferred(&self) -> bool {
        let Mode::Inline {
            files,
            recognizer,
            deferred,
            ..
        } = &self.mode
        else {
            return false;
        };
        let Some((ink, done)) = deferred.borrow_mut().take() else {
            return false;
        };
        let mut loaded = recognizer.borrow_mut();
        if loaded.is_none() {
            *loaded = load(files).map(Box::new);
        }
        let list = match loaded.as_deref() {
            Some(r) => candidates(r, &ink),
            None => Vec::new(),
        };
        drop(loaded);
        done(list);
        true
    }

    /// Cancels as [`HandwritingWorker::cancel`] does and frees the model's
    /// memory until the next stroke (call at the idle reset).
    pub fn release(&self) {
        self.cancel();
        match &self.mode {
            Mode::Unavailable => {}
            Mode::Inline { recognizer, .. } => {
                recognizer.borrow_mut().take();
            }
            Mode::Thread { shared, .. } => {
                let mut slot = shared.slot.lock().unwrap_or_else(PoisonError::into_inner);
                slot.release = true;
                shared.wake.notify_one();
            }
        }
    }

    /// Whether the model is in memory now (tests of [`HandwritingWorker::release`]).
    pub fn is_loaded(&self) -> bool {
        match &self.mode {
            Mode::Unavailable => false,
            Mode::Inline { recognizer, .. } => recognizer.borrow().is_some(),
            Mode::Thread { shared, .. } => shared.loaded.load(Ordering::SeqCst),
        }
    }
}

/// The staff panel's line when Zinnia works but the templates are missing
/// or damaged.
pub const TEMPLATES_MISSING: &str = "手写输入可用，但缺少笔顺模板，部分常用字认不准";

/// Loads the model and the templates for recognition; without the model
/// (the file went away since start, or is broken past its header) logs why
/// and recognizes nothing;
/// without the templates, Zinnia alone.
fn load(files: &Files) -> Option<Recognizer> {
    let recognizer = match Recognizer::open(&files.model) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("handwriting: cannot load the model: {e}");
            return None;
        }
    };
    Some(match Templates::load(&files.templates) {
        Ok(t) => recognizer.with_templates(t),
        Err(e) => {
            tracing::warn!("handwriting: Zinnia alone: {e}");
            recognizer
        }
    })
}

impl Drop for HandwritingWorker {
    fn drop(&mut self) {
        if let Mode::Thread { shared, thread } = &mut self.mode {
            shared
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .stop = true;
            shared.wake.notify_one();
            if let Some(t) = thread.take() {
                let _ = t.join();
            }
        }
    }
}

fn candidates(recognizer: &Recognizer, ink: &Ink) -> Vec<char> {
    match recognizer.recognize(ink, CANDIDATES) {
        Ok(list) => list.into_iter().map(|c| c.character).collect(),
        Err(e) => {
            // The strokes are what a resident wrote: log the error kind only.
            tracing::warn!(
                "handwriting: recognition failed ({} strokes): {e}",
                ink.strokes.len()
            );
            Vec::new()
        }
    }
}

/// The worker thread: waits for the newest request, recognizes it, sends
/// the answer to the UI thread, until the worker is dropped.
fn work(files: &Files, shared: &Shared, post: &Poster) {
    let mut recognizer: Option<Recognizer> = None;
    loop {
        let request = {
            let mut slot = shared.slot.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if slot.stop {
                    return;
                }
                if std::mem::take(&mut slot.release) {
                    recognizer = None;
                    shared.loaded.store(false, Ordering::SeqCst);
                }
                if let Some(r) = slot.request.take() {
                    break r;
                }
                slot = shared
                    .wake
                    .wait(slot)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        if recognizer.is_none() {
            recognizer = load(files);
            shared.loaded.store(recognizer.is_some(), Ordering::SeqCst);
        }
        let list = match &recognizer {
            Some(r) => candidates(r, &request.ink),
            None => Vec::new(),
        };
        let serial = request.serial;
        let sent = post(Box::new(move || {
            let delivery = PENDING.with(|p| {
                let mut p = p.borrow_mut();
                match p.take() {
                    Some((s, d)) if s == serial => Some(d),
                    other => {
                        *p = other;
                        None
                    }
                }
            });
            if let Some(deliver) = delivery {
                deliver(list);
            }
        }));
        if !sent {
            // The UI has stopped; nothing left to answer.
            return;
        }
    }
}

/// `kiosk-app handwriting`: recognize one handwritten character from a
/// JSON file, as the search pad does.
#[derive(clap::Args, Debug, Clone)]
pub struct HandwritingArgs {
    /// The strokes: {"width": W, "height": H, "strokes": [[[x, y], ...], ...]},
    /// strokes in the order written, x to the right and y downwards on a
    /// W×H canvas.
    #[arg(long, value_name = "FILE.json")]
    pub strokes: PathBuf,
    /// The Zinnia model (default: `handwriting_model` from --config, which
    /// defaults to Debian's tegaki-zinnia-simplified-chinese model).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// The school-order templates (default: `handwriting_templates` from
    /// --config); when they cannot be read, Zinnia answers alone and a
    /// warning says why.
    #[arg(long, value_name = "FILE")]
    pub templates: Option<PathBuf>,
}

/// Runs `kiosk-app handwriting`: prints up to [`CANDIDATES`] characters,
/// best first, one per line, to `out`.
pub fn cli(
    args: &HandwritingArgs,
    config: &crate::config::AppConfig,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let file = &args.strokes;
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "strokes file {}: cannot read it; give a JSON file {{\"width\": W, \"height\": H, \"strokes\": [[[x, y], ...], ...]}}",
            file.display()
        )
    })?;
    let ink = Ink::from_json(&text)
        .map_err(|e| anyhow::anyhow!("strokes file {}: {e}", file.display()))?;
    let model = args.model.as_ref().unwrap_or(&config.handwriting_model);
    let mut recognizer = Recognizer::open(model)?;
    let templates = args
        .templates
        .as_ref()
        .unwrap_or(&config.handwriting_templates);
    match Templates::load(templates) {
        Ok(t) => recognizer = recognizer.with_templates(t),
        Err(e) => tracing::warn!("Zinnia alone: {e}"),
    }
    let list = recognizer
        .recognize(&ink, CANDIDATES)
        .with_context(|| format!("strokes file {}", file.display()))?;
    for c in list {
        writeln!(out, "{}", c.character).context("writing to stdout")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;
    use std::sync::mpsc;
    use std::time::Duration;

    fn model() -> Files {
        Files::new(
            Path::new(kiosk_handwriting::DEFAULT_MODEL_PATH),
            Path::new(TEMPLATES),
        )
    }

    const TEMPLATES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/handwriting/data/hanzi-templates.bin"
    );

    /// 十: a horizontal stroke, then a vertical one, on a 300×300 pad.
    fn shi() -> Ink {
        Ink {
            width: 300.0,
            height: 300.0,
            strokes: vec![
                (0..=10).map(|i| [40.0 + 22.0 * i as f32, 150.0]).collect(),
                (0..=10).map(|i| [150.0, 40.0 + 22.0 * i as f32]).collect(),
            ],
        }
    }

    /// The model is in memory only from the first stroke to the release
    /// (idle reset), for the inline and the threaded worker alike.
    #[test]
    fn the_model_is_loaded_at_the_first_stroke_and_freed_at_release() {
        let inline = HandwritingWorker::inline(&model());
        assert!(inline.is_ready(), "{:?}", inline.availability());
        assert!(!inline.is_loaded(), "loaded before any stroke");
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        inline.recognize(shi(), move |list| *g.borrow_mut() = list);
        assert!(got.borrow()[..5].contains(&'十'), "{:?}", got.borrow());
        assert!(inline.is_loaded());
        inline.release();
        assert!(!inline.is_loaded(), "still loaded after release");

        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let tx = Mutex::new(tx);
        let worker = HandwritingWorker::open(
            &model(),
            Some(Box::new(move |f| {
                tx.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .send(f)
                    .is_ok()
            })),
        );
        assert!(!worker.is_loaded(), "loaded before any stroke");
        let answered = Rc::new(Cell::new(false));
        let a = answered.clone();
        worker.recognize(shi(), move |_| a.set(true));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !answered.get() && std::time::Instant::now() < deadline {
            if let Ok(f) = rx.recv_timeout(Duration::from_millis(200)) {
                f();
            }
        }
        assert!(answered.get() && worker.is_loaded());
        worker.release();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while worker.is_loaded() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !worker.is_loaded(),
            "the worker kept the model after release"
        );
    }

    #[test]
    fn only_the_newest_request_is_answered() {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let tx = Mutex::new(tx);
        let worker = HandwritingWorker::open(
            &model(),
            Some(Box::new(move |f| {
                tx.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .send(f)
                    .is_ok()
            })),
        );
        assert!(worker.is_ready(), "{:?}", worker.availability());
        // (request number, its candidates), as each completion ran.
        type Answers = Rc<RefCell<Vec<(u32, Vec<char>)>>>;
        let answers: Answers = Rc::default();
        for n in 1..=3 {
            let answers = answers.clone();
            let mut ink = shi();
            ink.strokes.truncate(if n == 3 { 2 } else { 1 });
            worker.recognize(ink, move |list| answers.borrow_mut().push((n, list)));
        }
        // Every answer the worker sends is run here, as the event loop
        // would; only request 3's completion may fire.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while answers.borrow().is_empty() && std::time::Instant::now() < deadline {
            if let Ok(f) = rx.recv_timeout(Duration::from_millis(200)) {
                f();
            }
        }
        while let Ok(f) = rx.recv_timeout(Duration::from_millis(300)) {
            f();
        }
        let answers = answers.borrow();
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0].0, 3);
        assert!(answers[0].1[..5].contains(&'十'), "{answers:?}");
    }

    #[test]
    fn a_cancelled_request_is_not_answered() {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let tx = Mutex::new(tx);
        let worker = HandwritingWorker::open(
            &model(),
            Some(Box::new(move |f| {
                tx.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .send(f)
                    .is_ok()
            })),
        );
        let called = Rc::new(Cell::new(false));
        let c = called.clone();
        worker.recognize(shi(), move |_| c.set(true));
        worker.cancel();
        while let Ok(f) = rx.recv_timeout(Duration::from_millis(500)) {
            f();
        }
        assert!(!called.get());
    }

    /// 女 as taught (撇点, 撇, 横) on a 1024 pad, from the hanzi-writer-data
    /// medians (y flipped): a character Zinnia's model learnt in another
    /// order and does not offer in its first five.
    fn nv() -> Ink {
        let medians: [&[[f32; 2]]; 3] = [
            &[
                [442.0, 810.0],
                [498.0, 746.0],
                [373.0, 346.0],
                [498.0, 244.0],
                [787.0, 11.0],
            ],
            &[
                [628.0, 527.0],
                [651.0, 462.0],
                [520.0, 214.0],
                [384.0, 105.0],
                [238.0, 58.0],
            ],
            &[
                [70.0, 420.0],
                [383.0, 440.0],
                [857.0, 487.0],
                [950.0, 458.0],
            ],
        ];
        Ink {
            width: 1024.0,
            height: 1024.0,
            strokes: medians
                .iter()
                .map(|s| s.iter().map(|p| [p[0], 900.0 - p[1]]).collect())
                .collect(),
        }
    }

    #[test]
    fn the_templates_find_what_zinnia_alone_misses_and_their_absence_is_told() {
        let with = HandwritingWorker::inline(&model());
        assert!(with.availability().ready);
        assert_eq!(with.availability().plain, "手写输入可用");
        assert!(
            with.availability()
                .technical
                .contains("3500 school-order templates"),
            "{}",
            with.availability().technical
        );
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        with.recognize(nv(), move |list| *g.borrow_mut() = list);
        assert_eq!(got.borrow().first(), Some(&'女'), "{:?}", got.borrow());

        let missing = Path::new("/nonexistent/hanzi-templates.bin");
        let without = HandwritingWorker::inline(&Files::new(
            Path::new(kiosk_handwriting::DEFAULT_MODEL_PATH),
            missing,
        ));
        let a = without.availability();
        assert!(a.ready, "Zinnia alone still works");
        assert_eq!(a.plain, TEMPLATES_MISSING);
        assert!(
            a.technical.contains("/nonexistent/hanzi-templates.bin"),
            "{}",
            a.technical
        );
        let g = got.clone();
        without.recognize(nv(), move |list| *g.borrow_mut() = list);
        assert!(!got.borrow().is_empty());
        assert!(!got.borrow()[..5].contains(&'女'), "{:?}", got.borrow());
    }

    #[test]
    fn inline_answers_at_once() {
        let worker = HandwritingWorker::inline(&model());
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        worker.recognize(shi(), move |list| *g.borrow_mut() = list);
        assert!(got.borrow()[..5].contains(&'十'), "{:?}", got.borrow());
        assert!(got.borrow().len() <= CANDIDATES);
    }

    #[test]
    fn without_a_model_it_says_so_and_answers_nothing() {
        let worker = HandwritingWorker::start(&Files::new(
            Path::new("/nonexistent/handwriting.model"),
            Path::new(TEMPLATES),
        ));
        let a = worker.availability();
        assert!(!a.ready);
        assert!(a.plain.contains("手写输入不可用"), "{}", a.plain);
        assert!(a.plain.contains("拼音"), "{}", a.plain);
        assert!(
            a.technical.contains("/nonexistent/handwriting.model"),
            "{}",
            a.technical
        );
        assert!(
            a.technical.contains("tegaki-zinnia-simplified-chinese"),
            "{}",
            a.technical
        );
        let got = Rc::new(Cell::new(None));
        let g = got.clone();
        worker.recognize(shi(), move |list| g.set(Some(list.len())));
        assert_eq!(got.get(), Some(0));
    }
}
