//! The dozen functions of Zinnia's C API (`zinnia.h`) the recognizer needs,
//! resolved from `libzinnia.so.0` at run time.
//!
//! Loading at run time rather than linking `-lzinnia` means a kiosk without
//! the library still starts (the pinyin keyboard works; the staff panel says
//! what is missing), and the aarch64 cross-build needs no Zinnia for arm64.

#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_float, c_int};
use std::path::Path;
use std::sync::Arc;

use libloading::Library;

/// Opaque `zinnia_recognizer_t`.
#[repr(C)]
pub(crate) struct RawRecognizer {
    _private: [u8; 0],
}
/// Opaque `zinnia_character_t`.
#[repr(C)]
pub(crate) struct RawCharacter {
    _private: [u8; 0],
}
/// Opaque `zinnia_result_t`.
#[repr(C)]
pub(crate) struct RawResult {
    _private: [u8; 0],
}

/// The soname Debian's `libzinnia0` (bookworm) and `libzinnia0v5` install.
pub const LIBRARY_NAME: &str = "libzinnia.so.0";

/// The library and the functions resolved from it. The function pointers
/// stay valid as long as `_lib` is loaded, which is as long as this lives.
pub(crate) struct Api {
    recognizer_new: unsafe extern "C" fn() -> *mut RawRecognizer,
    recognizer_destroy: unsafe extern "C" fn(*mut RawRecognizer),
    recognizer_open: unsafe extern "C" fn(*mut RawRecognizer, *const c_char) -> c_int,
    recognizer_strerror: unsafe extern "C" fn(*mut RawRecognizer) -> *const c_char,
    recognizer_classify:
        unsafe extern "C" fn(*mut RawRecognizer, *const RawCharacter, usize) -> *mut RawResult,
    character_new: unsafe extern "C" fn() -> *mut RawCharacter,
    character_destroy: unsafe extern "C" fn(*mut RawCharacter),
    character_set_width: unsafe extern "C" fn(*mut RawCharacter, usize),
    character_set_height: unsafe extern "C" fn(*mut RawCharacter, usize),
    character_add: unsafe extern "C" fn(*mut RawCharacter, usize, c_int, c_int) -> c_int,
    result_value: unsafe extern "C" fn(*mut RawResult, usize) -> *const c_char,
    result_score: unsafe extern "C" fn(*mut RawResult, usize) -> c_float,
    result_size: unsafe extern "C" fn(*mut RawResult) -> usize,
    result_destroy: unsafe extern "C" fn(*mut RawResult),
    _lib: Library,
}

impl Api {
    /// Loads `name` (a soname searched the usual way, or a path) and
    /// resolves every function, or says which one is missing.
    pub(crate) fn load(name: &str) -> Result<Arc<Api>, String> {
        // SAFETY: loading a shared library runs its initialisers. libzinnia's
        // are C++ static constructors with no side effects beyond its own
        // globals; we load nothing else under this name.
        let lib = unsafe { Library::new(name) }.map_err(|e| e.to_string())?;
        macro_rules! sym {
            ($name:literal) => {{
                // SAFETY: the type on the left of each assignment is the
                // signature `zinnia.h` (0.06) declares for this symbol; the
                // pointer is copied out of the Symbol and kept only inside
                // `Api`, which owns the library and so outlives it.
                let s = unsafe { lib.get($name) }.map_err(|e| {
                    format!(
                        "{name}: {}: {e}",
                        String::from_utf8_lossy(&$name[..$name.len() - 1])
                    )
                })?;
                *s
            }};
        }
        Ok(Arc::new(Api {
            recognizer_new: sym!(b"zinnia_recognizer_new\0"),
            recognizer_destroy: sym!(b"zinnia_recognizer_destroy\0"),
            recognizer_open: sym!(b"zinnia_recognizer_open\0"),
            recognizer_strerror: sym!(b"zinnia_recognizer_strerror\0"),
            recognizer_classify: sym!(b"zinnia_recognizer_classify\0"),
            character_new: sym!(b"zinnia_character_new\0"),
            character_destroy: sym!(b"zinnia_character_destroy\0"),
            character_set_width: sym!(b"zinnia_character_set_width\0"),
            character_set_height: sym!(b"zinnia_character_set_height\0"),
            character_add: sym!(b"zinnia_character_add\0"),
            result_value: sym!(b"zinnia_result_value\0"),
            result_score: sym!(b"zinnia_result_score\0"),
            result_size: sym!(b"zinnia_result_size\0"),
            result_destroy: sym!(b"zinnia_result_destroy\0"),
            _lib: lib,
        }))
    }
}

/// A `zinnia_recognizer_t` with a model open.
pub(crate) struct ZinniaRecognizer {
    api: Arc<Api>,
    raw: *mut RawRecognizer,
}

// SAFETY: a zinnia recognizer is a plain C++ object with no thread affinity
// (no thread-locals, no callbacks); moving it to another thread is fine.
// It is not Sync: `&self` methods call classify, which we do not assume to be
// safe concurrently, so one recognizer serves one thread at a time.
unsafe impl Send for ZinniaRecognizer {}

impl ZinniaRecognizer {
    pub(crate) fn open(api: Arc<Api>, model: &Path) -> Result<ZinniaRecognizer, String> {
        let c_path = CString::new(model.as_os_str().as_encoded_bytes())
            .map_err(|_| "the model path contains a NUL byte".to_string())?;
        // SAFETY: no arguments; returns a new object or NULL.
        let raw = unsafe { (api.recognizer_new)() };
        if raw.is_null() {
            return Err("zinnia_recognizer_new returned NULL (out of memory?)".into());
        }
        let rec = ZinniaRecognizer { api, raw };
        // SAFETY: `rec.raw` is a live recognizer and `c_path` a NUL-terminated
        // string that outlives the call (zinnia copies/mmaps what it needs).
        let ok = unsafe { (rec.api.recognizer_open)(rec.raw, c_path.as_ptr()) };
        if ok == 0 {
            // SAFETY: strerror returns a pointer into the recognizer's own
            // buffer (or NULL), valid until the next call on it; copied at once.
            let msg = unsafe { cstr_lossy((rec.api.recognizer_strerror)(rec.raw)) };
            return Err(if msg.is_empty() {
                "zinnia_recognizer_open failed".into()
            } else {
                msg
            });
        }
        Ok(rec)
    }

    /// Classifies strokes (integer points on a `width`×`height` canvas) and
    /// returns up to `nbest` (character, score) pairs in Zinnia's order.
    pub(crate) fn classify(
        &self,
        width: usize,
        height: usize,
        strokes: &[Vec<(i32, i32)>],
        nbest: usize,
    ) -> Result<Vec<(String, f32)>, String> {
        let ch = Character::new(&self.api)?;
        // SAFETY: `ch.raw` is a live character owned by `ch`.
        unsafe {
            (self.api.character_set_width)(ch.raw, width);
            (self.api.character_set_height)(ch.raw, height);
        }
        for (id, stroke) in strokes.iter().enumerate() {
            for &(x, y) in stroke {
                // SAFETY: as above; ids are added in increasing order from 0,
                // as zinnia expects.
                let ok = unsafe { (self.api.character_add)(ch.raw, id, x, y) };
                if ok == 0 {
                    return Err(format!("zinnia_character_add failed at stroke {id}"));
                }
            }
        }
        // SAFETY: both objects are live; the result (or NULL) is ours to free.
        let result = unsafe { (self.api.recognizer_classify)(self.raw, ch.raw, nbest) };
        if result.is_null() {
            // SAFETY: see `open`.
            let msg = unsafe { cstr_lossy((self.api.recognizer_strerror)(self.raw)) };
            return Err(if msg.is_empty() {
                "zinnia_recognizer_classify returned no result".into()
            } else {
                msg
            });
        }
        let result = ResultGuard {
            api: &self.api,
            raw: result,
        };
        // SAFETY: `result.raw` is a live result; value pointers stay valid
        // until it is destroyed (at the end of this function), and each is
        // copied into a String at once.
        let out = unsafe {
            let n = (self.api.result_size)(result.raw);
            (0..n)
                .map(|i| {
                    (
                        cstr_lossy((self.api.result_value)(result.raw, i)),
                        (self.api.result_score)(result.raw, i),
                    )
                })
                .collect()
        };
        Ok(out)
    }
}

impl Drop for ZinniaRecognizer {
    fn drop(&mut self) {
        // SAFETY: `raw` came from recognizer_new and is destroyed once, here.
        unsafe { (self.api.recognizer_destroy)(self.raw) }
    }
}

struct Character<'a> {
    api: &'a Api,
    raw: *mut RawCharacter,
}

impl<'a> Character<'a> {
    fn new(api: &'a Api) -> Result<Character<'a>, String> {
        // SAFETY: no arguments; returns a new object or NULL.
        let raw = unsafe { (api.character_new)() };
        if raw.is_null() {
            return Err("zinnia_character_new returned NULL (out of memory?)".into());
        }
        Ok(Character { api, raw })
    }
}

impl Drop for Character<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from character_new and is destroyed once, here.
        unsafe { (self.api.character_destroy)(self.raw) }
    }
}

struct ResultGuard<'a> {
    api: &'a Api,
    raw: *mut RawResult,
}

impl Drop for ResultGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from classify and is destroyed once, here.
        unsafe { (self.api.result_destroy)(self.raw) }
    }
}

/// Copies a C string (NULL → empty).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for this call.
unsafe fn cstr_lossy(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller guarantees a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}
