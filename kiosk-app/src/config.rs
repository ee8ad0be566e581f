//! The app's TOML configuration (`kiosk-app --config FILE`). Every field has
//! a default that works for `--demo`; an unknown or mistyped field is an
//! error that names the file, the line and the field.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The demo configuration: used with `--demo` when no `--config` is given.
/// Its staff PIN is 246810.
pub const DEMO_CONFIG: &str = include_str!("../demo-config.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    /// Hall id from the bundle (`[[halls]] id`): the hall this kiosk stands
    /// in. Empty: the bundle's first hall.
    pub hall: String,
    /// Village id for a village station (村务公开 shows this village).
    /// Empty: the village page lets residents pick.
    pub village: String,
    /// Seconds without a touch before the kiosk clears every input and
    /// returns to the attract screen.
    pub idle_timeout_secs: u64,
    /// Seconds on the attract screen before the screen dims.
    pub dim_after_secs: u64,
    /// Start in big-text mode (and return to it after each resident).
    pub big_text: bool,
    /// Start in high-contrast mode (and return to it after each resident).
    pub high_contrast: bool,
    /// The sync daemon's control socket.
    pub control_socket: PathBuf,
    /// Where staff "导入U盘" imports from (a mounted USB stick).
    pub usb_import_dir: PathBuf,
    /// argon2 PHC hash of the staff PIN (`kiosk-app hash-pin` makes one).
    /// Empty: the staff panel cannot be opened.
    pub staff_pin_hash: String,
    /// Wrong PINs in a row before the PIN page locks.
    pub pin_max_failures: u32,
    /// How long the PIN page stays locked.
    pub pin_lockout_secs: u64,
    /// Letters printed before the digits of a case number on the 受理回执
    /// (`SFX20261102001`): residents type only the digits.
    pub case_prefix: String,
    /// Digits after the prefix in a complete case number (11 for
    /// `SFX20261102001`: the date and a 3-digit serial). The progress page
    /// moves on to the query code once they are typed. 0: case numbers
    /// vary in length, and the resident moves on by tapping the code field.
    pub case_digits: usize,
    /// How often the app looks for content applied by the sync daemon.
    pub content_poll_secs: u64,
    /// How often the app asks the sync daemon for its status (a finished
    /// USB import is then shown on screen).
    pub status_poll_secs: u64,
    /// The Zinnia model for the search pad's handwriting (手写). Without it
    /// (or without libzinnia) handwriting is unavailable and the staff panel
    /// says why; the pinyin keyboard works either way.
    pub handwriting_model: PathBuf,
    /// The school-order templates the recognizer merges with Zinnia's
    /// answers (installed by the package). Without them Zinnia answers
    /// alone, less well for characters its model learnt in another order.
    pub handwriting_templates: PathBuf,
    /// Printer, backlight schedule, motion sensor (`[hardware.printer]`,
    /// `[hardware.screen]`, `[hardware.motion]`): kiosk-hardware's own
    /// settings. The screen dims `dim_after_secs` after the attract screen
    /// appears, so `[hardware.screen] dim_after_secs` is refused (see
    /// [`AppConfig::parse`]) rather than silently ignored.
    pub hardware: kiosk_hardware::HardwareConfig,
}

/// The handwriting templates in the source tree this binary was built
/// from (used by [`AppConfig::demo`] only when the package's are missing).
const SOURCE_TEMPLATES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/handwriting/data/hanzi-templates.bin"
);

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            hall: String::new(),
            village: String::new(),
            idle_timeout_secs: 90,
            dim_after_secs: 120,
            big_text: false,
            high_contrast: false,
            control_socket: PathBuf::from(kiosk_content::control::DEFAULT_SOCKET),
            usb_import_dir: PathBuf::from("/run/kiosk-usb/current"),
            staff_pin_hash: String::new(),
            pin_max_failures: 5,
            pin_lockout_secs: 300,
            case_prefix: "SFX".into(),
            case_digits: 11,
            content_poll_secs: 2,
            status_poll_secs: 5,
            handwriting_model: PathBuf::from(kiosk_handwriting::DEFAULT_MODEL_PATH),
            handwriting_templates: PathBuf::from(kiosk_handwriting::DEFAULT_TEMPLATES_PATH),
            hardware: kiosk_hardware::HardwareConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {source}; check the path given with --config")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "config file {path}, line {line}: `[hardware.screen] dim_after_secs` is not used by kiosk-app; remove it and set the top-level `dim_after_secs` (seconds on the attract screen before the screen dims, default 120) instead"
    )]
    ScreenDimAfter { path: PathBuf, line: usize },
    #[error("config file {path}: field `{field}`: {message}")]
    Field {
        path: PathBuf,
        field: &'static str,
        message: String,
    },
}

impl AppConfig {
    pub fn load(path: &Path) -> Result<AppConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<AppConfig, ConfigError> {
        let cfg: AppConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        if let Some(offset) = hardware_dim_after(text) {
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            return Err(ConfigError::ScreenDimAfter {
                path: path.to_path_buf(),
                line,
            });
        }
        cfg.validate(path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let field = |field, message: &str| ConfigError::Field {
            path: path.to_path_buf(),
            field,
            message: message.into(),
        };
        if self.idle_timeout_secs < 10 {
            return Err(field(
                "idle_timeout_secs",
                "must be at least 10 seconds, or residents are sent away mid-read",
            ));
        }
        if self.dim_after_secs == 0 {
            return Err(field("dim_after_secs", "must be at least 1 second"));
        }
        if self.pin_max_failures == 0 {
            return Err(field("pin_max_failures", "must be at least 1"));
        }
        if self.content_poll_secs == 0 {
            return Err(field("content_poll_secs", "must be at least 1 second"));
        }
        if self.status_poll_secs == 0 {
            return Err(field("status_poll_secs", "must be at least 1 second"));
        }
        if !self.staff_pin_hash.is_empty()
            && argon2::PasswordHash::new(&self.staff_pin_hash).is_err()
        {
            return Err(field(
                "staff_pin_hash",
                "is not an argon2 PHC string ($argon2id$v=19$...); make one with `kiosk-app hash-pin`",
            ));
        }
        if !self.case_prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(field(
                "case_prefix",
                "may hold only ASCII letters and digits",
            ));
        }
        if self.case_digits > 20 {
            return Err(field(
                "case_digits",
                "must be at most 20 (0: case numbers of any length)",
            ));
        }
        Ok(())
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub fn dim_after(&self) -> Duration {
        Duration::from_secs(self.dim_after_secs)
    }

    pub fn demo() -> AppConfig {
        // The embedded demo config is checked by a unit test.
        let mut config =
            Self::parse(DEMO_CONFIG, Path::new("<built-in demo config>")).unwrap_or_default();
        // A demo run from the source tree (screenshots, UI tests) without
        // the package installed uses the tree's handwriting templates.
        if !config.handwriting_templates.exists() {
            config.handwriting_templates = PathBuf::from(SOURCE_TEMPLATES);
        }
        config
    }
}

/// Where `[hardware.screen] dim_after_secs` is set, if it is: kiosk-hardware
/// accepts the key, but the app dims by its own `dim_after_secs`.
fn hardware_dim_after(text: &str) -> Option<usize> {
    #[derive(Deserialize)]
    struct File {
        hardware: Option<Hardware>,
    }
    #[derive(Deserialize)]
    struct Hardware {
        screen: Option<Screen>,
    }
    #[derive(Deserialize)]
    struct Screen {
        dim_after_secs: Option<toml::Spanned<toml::Value>>,
    }
    let file: File = toml::from_str(text).ok()?;
    let key = file.hardware?.screen?.dim_after_secs?;
    Some(key.span().start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_config_parses_and_has_a_pin() {
        let cfg =
            AppConfig::parse(DEMO_CONFIG, Path::new("demo-config.toml")).expect("demo config");
        assert!(!cfg.staff_pin_hash.is_empty());
        assert_eq!(cfg.hall, "chengguan");
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(
            AppConfig::parse("", Path::new("x.toml")).expect("parse"),
            AppConfig::default()
        );
    }

    #[test]
    fn a_misspelt_field_is_named_with_its_line() {
        let err = AppConfig::parse(
            "hall = \"chengguan\"\nidle_timout_secs = 30\n",
            Path::new("/etc/kiosk/app.toml"),
        )
        .expect_err("typo");
        let msg = err.to_string();
        assert!(msg.contains("/etc/kiosk/app.toml"), "{msg}");
        assert!(msg.contains("idle_timout_secs"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn a_bad_value_is_named() {
        let err = AppConfig::parse("idle_timeout_secs = 3\n", Path::new("app.toml"))
            .expect_err("too short");
        assert!(err.to_string().contains("idle_timeout_secs"));
        let err = AppConfig::parse("staff_pin_hash = \"246810\"\n", Path::new("app.toml"))
            .expect_err("not a hash");
        assert!(err.to_string().contains("staff_pin_hash"));
        assert!(err.to_string().contains("hash-pin"));
    }

    #[test]
    fn hardware_settings_are_checked_too() {
        let cfg = AppConfig::parse(
            "[hardware.printer]\nkind = \"tcp\"\naddress = \"10.0.0.5:9100\"\n",
            Path::new("a.toml"),
        )
        .expect("tcp printer");
        assert_eq!(cfg.hardware.printer.address, "10.0.0.5:9100");
        let err = AppConfig::parse(
            "[hardware.printer]\nkind = \"laser\"\n",
            Path::new("a.toml"),
        )
        .expect_err("bad kind");
        assert!(err.to_string().contains("kind"), "{err}");
    }

    #[test]
    fn the_status_poll_is_checked_like_the_others() {
        let cfg = AppConfig::parse("status_poll_secs = 30\n", Path::new("a.toml")).expect("30 s");
        assert_eq!(cfg.status_poll_secs, 30);
        let err =
            AppConfig::parse("status_poll_secs = 0\n", Path::new("a.toml")).expect_err("zero");
        assert!(err.to_string().contains("status_poll_secs"), "{err}");
    }

    #[test]
    fn the_hardware_screens_dim_after_is_refused_naming_the_line_and_the_key_to_use() {
        let text = "hall = \"chengguan\"\ndim_after_secs = 60\n\n[hardware.screen]\nfull_percent = 90\ndim_after_secs = 30\n";
        let err = AppConfig::parse(text, Path::new("/etc/kiosk/app.toml")).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("/etc/kiosk/app.toml"), "{msg}");
        assert!(msg.contains("line 6"), "{msg}");
        assert!(msg.contains("[hardware.screen] dim_after_secs"), "{msg}");
        assert!(msg.contains("top-level `dim_after_secs`"), "{msg}");
        // The same table without it, and the top-level key, are fine.
        let ok = AppConfig::parse(
            "dim_after_secs = 60\n[hardware.screen]\nfull_percent = 90\n",
            Path::new("a.toml"),
        )
        .expect("no screen dim_after_secs");
        assert_eq!(ok.dim_after_secs, 60);
        // Inline and dotted forms are caught too.
        for (text, line) in [
            ("hardware = { screen = { dim_after_secs = 5 } }\n", "line 1"),
            ("[hardware]\nscreen.dim_after_secs = 5\n", "line 2"),
        ] {
            let err = AppConfig::parse(text, Path::new("a.toml")).expect_err(text);
            assert!(err.to_string().contains(line), "{err}");
        }
    }

    #[test]
    fn a_missing_file_says_which() {
        let err = AppConfig::load(Path::new("/nonexistent/kiosk.toml")).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/kiosk.toml"));
    }
}
