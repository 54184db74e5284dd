//! Everything the commands print on stdout goes through here.
//!
//! Rust ignores SIGPIPE, so a reader that stops early (`tongban verify | head -5`) makes the next
//! write fail with `BrokenPipe`, and `println!` panics on that (exit 101, a backtrace hint). A
//! closed stdout is not the command's failure: the reader has what it wanted. From the first
//! broken pipe on, output is dropped quietly and the command goes on to exit with the code its
//! verdict has (verify 1 for a broken chain, 0 for an intact one), which a pipeline may test.
//! Any other write error (a full disk under `> file`) is an error of the command, as ever.
//!
//! Output that is the command's whole point and exists nowhere else (a token's secret, shown
//! once) goes through [`strict`] instead: there a closed stdout is the command's failure.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use super::CliError;

/// Set once stdout's reader has gone; nothing is written after that.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes them, so a closed pipe is seen here and not at exit;
/// a closed pipe is remembered ([`CLOSED`]) and reported as `Ok(false)`.
fn write(bytes: &[u8]) -> Result<bool, CliError> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(false);
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(false)
        }
        Err(e) => Err(CliError(format!("cannot write to stdout: {e}"))),
    }
}

/// Writes `bytes` to stdout; once its reader has gone, drops them quietly.
pub fn bytes(bytes: &[u8]) -> Result<(), CliError> {
    write(bytes).map(|_| ())
}

/// Writes `bytes` to stdout and flushes them, where losing them loses something that exists
/// nowhere else (a token's secret, of which the book keeps only a hash): any failure to write,
/// a closed pipe included, is an error for the caller to act on, never dropped quietly.
pub fn strict(bytes: &[u8]) -> Result<(), CliError> {
    if write(bytes)? {
        Ok(())
    } else {
        Err(CliError("stdout is closed: its reader has gone".into()))
    }
}

/// Writes formatted text to stdout: what [`out!`] and [`outln!`] expand to.
pub fn text(args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    match args.as_str() {
        Some(s) => bytes(s.as_bytes()),
        None => bytes(args.to_string().as_bytes()),
    }
}

/// `print!` for the commands: `out!(...)?`; see the module documentation.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::text(format_args!($($arg)*))
    };
}

/// `println!` for the commands: `outln!(...)?`; see the module documentation.
macro_rules! outln {
    () => {
        $crate::cli::output::bytes(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::output::text(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
