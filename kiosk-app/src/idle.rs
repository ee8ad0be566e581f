//! Idle and wake, as plain state: after `idle_timeout` with no touch the
//! kiosk clears every input and shows the attract screen; after `dim_after`
//! more it dims. The touch that wakes a dimmed screen only wakes it.
//!
//! The app drives this with two single-shot Slint timers (so tests move time
//! with `mock_elapsed_time`) and carries out the [`Effect`]s it returns.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A resident is using the kiosk.
    Active,
    /// Attract screen, lit.
    Resting,
    /// Attract screen, dimmed.
    Dimmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// (Re)start the idle timer from now.
    RestartIdleTimer,
    StopIdleTimer,
    /// Clear every input and result, reset modes, show the attract screen.
    ResetToAttract,
    /// (Re)start the dim timer from now.
    StartDimTimer,
    StopDimTimer,
    Dim,
    Undim,
}

#[derive(Debug)]
pub struct IdleMachine {
    phase: Phase,
    /// Where a wake returns to (a backlight schedule can darken the screen
    /// while someone is still on a page).
    woken_to: Phase,
}

impl Default for IdleMachine {
    fn default() -> Self {
        Self::new()
    }
}

impl IdleMachine {
    /// The kiosk starts on the attract screen.
    pub fn new() -> IdleMachine {
        IdleMachine {
            phase: Phase::Resting,
            woken_to: Phase::Resting,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Effects to start with.
    pub fn start(&self) -> Vec<Effect> {
        vec![Effect::StartDimTimer]
    }

    /// A touch on anything (a button, a key, a scroll).
    pub fn activity(&mut self) -> Vec<Effect> {
        let was = self.phase;
        self.phase = Phase::Active;
        let mut fx = vec![Effect::RestartIdleTimer, Effect::StopDimTimer];
        if was == Phase::Dimmed {
            fx.push(Effect::Undim);
        }
        fx
    }

    /// The idle timer ran out.
    pub fn idle_elapsed(&mut self) -> Vec<Effect> {
        if self.phase != Phase::Active {
            return Vec::new();
        }
        self.phase = Phase::Resting;
        vec![
            Effect::ResetToAttract,
            Effect::StopIdleTimer,
            Effect::StartDimTimer,
        ]
    }

    /// The dim timer ran out.
    pub fn dim_elapsed(&mut self) -> Vec<Effect> {
        if self.phase != Phase::Resting {
            return Vec::new();
        }
        self.phase = Phase::Dimmed;
        self.woken_to = Phase::Resting;
        vec![Effect::Dim]
    }

    /// The backlight went dark on its own (opening hours): the next touch
    /// must only wake, whatever the phase.
    pub fn force_dim(&mut self) -> Vec<Effect> {
        if self.phase == Phase::Dimmed {
            return Vec::new();
        }
        self.woken_to = self.phase;
        self.phase = Phase::Dimmed;
        vec![Effect::Dim]
    }

    /// A touch on the dimmed screen, or someone walking up (motion sensor).
    /// Only wakes: the touch presses nothing.
    pub fn wake(&mut self) -> Vec<Effect> {
        if self.phase != Phase::Dimmed {
            return Vec::new();
        }
        self.phase = self.woken_to;
        if self.phase == Phase::Resting {
            vec![Effect::Undim, Effect::StartDimTimer]
        } else {
            vec![Effect::Undim]
        }
    }

    pub fn is_dimmed(&self) -> bool {
        self.phase == Phase::Dimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_resets_then_dims_and_a_touch_wakes_only() {
        let mut m = IdleMachine::new();
        assert_eq!(m.start(), vec![Effect::StartDimTimer]);
        assert!(m.activity().contains(&Effect::RestartIdleTimer));
        assert_eq!(m.phase(), Phase::Active);
        assert!(
            m.dim_elapsed().is_empty(),
            "no dimming while someone uses it"
        );
        assert!(m.idle_elapsed().contains(&Effect::ResetToAttract));
        assert_eq!(m.phase(), Phase::Resting);
        assert!(m.idle_elapsed().is_empty(), "reset happens once");
        assert_eq!(m.dim_elapsed(), vec![Effect::Dim]);
        assert!(m.is_dimmed());
        assert_eq!(m.wake(), vec![Effect::Undim, Effect::StartDimTimer]);
        assert_eq!(m.phase(), Phase::Resting, "waking does not start a session");
        assert!(m.wake().is_empty());
    }

    #[test]
    fn a_screen_darkened_mid_session_wakes_back_into_the_session() {
        let mut m = IdleMachine::new();
        m.activity();
        assert_eq!(m.force_dim(), vec![Effect::Dim]);
        assert!(m.force_dim().is_empty());
        assert_eq!(m.wake(), vec![Effect::Undim]);
        assert_eq!(m.phase(), Phase::Active);
    }
}
