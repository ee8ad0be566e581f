//! Work that must not block the UI thread (control-socket requests, the
//! progress lookup's key derivation) runs on a worker thread and comes back
//! to the UI thread with `slint::invoke_from_event_loop`.
//!
//! Tests run the same code with [`Spawner::inline`]: the work runs at once on
//! the calling thread, so a test needs no event loop.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

type Completion = Box<dyn FnOnce(Box<dyn Any + Send>)>;

thread_local! {
    // Completions wait here on the UI thread (they hold Rc's and UI handles,
    // which cannot cross threads); the worker sends back only its result.
    static PENDING: RefCell<HashMap<u64, Completion>> = RefCell::new(HashMap::new());
}

pub struct Spawner {
    inline: bool,
    next_id: Cell<u64>,
}

impl Spawner {
    /// Worker threads; results come back through the Slint event loop.
    pub fn threads() -> Spawner {
        Spawner {
            inline: false,
            next_id: Cell::new(1),
        }
    }

    /// Runs work immediately on the calling thread (tests, screenshots).
    pub fn inline() -> Spawner {
        Spawner {
            inline: true,
            next_id: Cell::new(1),
        }
    }

    /// Whether work runs on the calling thread (tests, screenshots).
    pub fn is_inline(&self) -> bool {
        self.inline
    }

    /// Runs `work` off the UI thread, then `done` with its result on the UI
    /// thread.
    pub fn spawn<T: Send + 'static>(
        &self,
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        if self.inline {
            done(work());
            return;
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        PENDING.with(|p| {
            p.borrow_mut().insert(
                id,
                Box::new(move |any: Box<dyn Any + Send>| {
                    if let Ok(t) = any.downcast::<T>() {
                        done(*t);
                    }
                }),
            )
        });
        let spawned = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let result: Box<dyn Any + Send> = Box::new(work());
                let sent = slint::invoke_from_event_loop(move || {
                    if let Some(f) = PENDING.with(|p| p.borrow_mut().remove(&id)) {
                        f(result);
                    }
                });
                if let Err(e) = sent {
                    tracing::warn!("background job finished after the UI stopped: {e}");
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start a worker thread: {e}");
            PENDING.with(|p| p.borrow_mut().remove(&id));
        }
    }
}
