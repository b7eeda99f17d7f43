//! Progress lines and the tool's error type.
//!
//! Every long step prints a line when it starts and one when it ends, with the
//! elapsed time, so a developer watching a cold run knows where it is.

use std::fmt;
use std::time::Instant;

/// An error that tells the user what went wrong and what to do about it.
#[derive(Debug)]
pub struct Error {
    pub what: String,
    pub hint: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(what: impl Into<String>) -> Self {
        Error { what: what.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            Some(h) => write!(f, "{} ({})", self.what, h),
            None => write!(f, "{}", self.what),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(format!("I/O error: {e}"))
    }
}

/// Builds an `Error` with `format!` syntax.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::ui::Error::new(format!($($arg)*)) };
}

/// A long-running step; prints its start now and its end (with elapsed time) on `done`.
pub struct Step {
    name: String,
    start: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Self {
        let name = name.into();
        eprintln!("==> {name} ...");
        Step { name, start: Instant::now() }
    }

    pub fn elapsed_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub fn done(self) -> f64 {
        let secs = self.elapsed_secs();
        eprintln!("==> {} done in {}", self.name, fmt_secs(secs));
        secs
    }
}

pub fn fmt_secs(secs: f64) -> String {
    if secs >= 60.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!("{secs:.1}s")
    }
}

pub fn info(msg: impl AsRef<str>) {
    eprintln!("    {}", msg.as_ref());
}
