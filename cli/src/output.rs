//! What people see on stderr: progress lines with durations, the final state, and colour.
//!
//! Colour (ANSI escapes, written here, no crate) is used only when stderr is a terminal and
//! `NO_COLOR` is unset or empty (<https://no-color.org>); `CLICOLOR_FORCE=1` forces it on a
//! pipe, but never over `NO_COLOR`. `TERM=dumb` turns it off. Nothing here writes to stdout,
//! which carries only data.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aludel::{Direction, Step};

/// Whether messages on stderr are coloured (see the module docs).
pub fn colour_stderr() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// A style for [`paint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bold red, for `error:`.
    Error,
    /// Bold yellow, for `warning:` and plans about to run.
    Warning,
    /// Green, for an upgrade.
    Upgrade,
    /// Yellow, for a downgrade.
    Downgrade,
    /// Dim, for durations.
    Dim,
    /// Bold, for the final state.
    Bold,
}

/// `text` in `style` when `colour` is on, else unchanged.
pub fn paint(text: &str, style: Style, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match style {
        Style::Error => "1;31",
        Style::Warning => "1;33",
        Style::Upgrade => "32",
        Style::Downgrade => "33",
        Style::Dim => "2",
        Style::Bold => "1",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// An error report with every line's leading `error:` painted (diagnostics carry several).
pub fn paint_report(report: &str, colour: bool) -> String {
    if !colour {
        return report.to_string();
    }
    report
        .split('\n')
        .map(|line| match line.strip_prefix("error:") {
            Some(rest) => format!("{}{rest}", paint("error:", Style::Error, true)),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A duration as people read it: `0.4 ms`, `12.3 ms`, `2.35 s`, `3m 07s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{:.1} ms", secs * 1000.0)
    } else if secs < 60.0 {
        format!("{secs:.2} s")
    } else {
        let whole = d.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// Revisions as a list: `a, b`, or `base` for none.
pub fn revisions(ids: &[&str]) -> String {
    if ids.is_empty() {
        "base".to_string()
    } else {
        ids.join(", ")
    }
}

/// One step as Alembic logs it, and as plans and progress show it:
/// `upgrade a1 -> b2, second`, `downgrade b2 -> a1, second`, `stamp <base> -> c2`.
pub fn step_line(step: &Step<'_>, colour: bool) -> String {
    let side = |ids: &[&str]| {
        if ids.is_empty() {
            "<base>".to_string()
        } else {
            ids.join(", ")
        }
    };
    if step.revision.is_none() && step.from.is_empty() && step.to.is_empty() {
        // `stamp --purge`: the rows are deleted, whatever they are.
        let deleted: Vec<&str> = step
            .ops
            .iter()
            .filter_map(|op| match op {
                aludel::VersionOp::Delete(v) => Some(v.as_str()),
                _ => None,
            })
            .collect();
        return format!(
            "{} the version table ({})",
            paint("purge", Style::Bold, colour),
            deleted.join(", ")
        );
    }
    let (word, style) = match (step.revision, step.direction) {
        (None, _) => ("stamp", Style::Bold),
        (Some(_), Direction::Upgrade) => ("upgrade", Style::Upgrade),
        (Some(_), Direction::Downgrade) => ("downgrade", Style::Downgrade),
    };
    let mut line = format!(
        "{} {} -> {}",
        paint(word, style, colour),
        side(&step.from),
        side(&step.to)
    );
    if let Some(revision) = step.revision {
        if let Some(first) = revision.message.lines().next().filter(|m| !m.is_empty()) {
            line.push_str(", ");
            line.push_str(first);
        }
    }
    line
}

/// The name this program was started as (`aludel`, or e.g. `migrate` for a binary that
/// embeds the command line), for messages that suggest a command.
pub fn program() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "aludel".to_string())
}

/// Writes to stderr, ignoring failures: a closed stderr must not stop a migration.
pub fn message(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Shows an upgrade's or downgrade's progress on stderr, one line per revision:
/// `upgrade a1 -> b2, second ... 12.3 ms`. The start of the line appears when the revision
/// starts, so a long revision shows what it is waiting for; the duration ends it.
#[derive(Debug)]
pub struct ProgressPrinter {
    colour: bool,
    /// A line was started and not finished.
    open: AtomicBool,
}

impl ProgressPrinter {
    /// A printer for stderr.
    pub fn new(colour: bool) -> ProgressPrinter {
        ProgressPrinter {
            colour,
            open: AtomicBool::new(false),
        }
    }

    /// Shows one event of the runtime.
    pub fn show(&self, event: aludel::Progress<'_>) {
        self.show_prefixed("", event);
    }

    /// [`ProgressPrinter::show`] with `prefix` (e.g. `analytics: `, a database's name) before
    /// the line.
    pub fn show_prefixed(&self, prefix: &str, event: aludel::Progress<'_>) {
        match event {
            aludel::Progress::Started { step } => {
                let mut text = String::new();
                if self.open.swap(true, Ordering::Relaxed) {
                    // The previous revision never finished: the run planned again.
                    text.push('\n');
                }
                text.push_str(prefix);
                text.push_str(&step_line(step, self.colour));
                text.push_str(" ...");
                message(&text);
            }
            aludel::Progress::Finished { step, completed } => {
                let took = paint(&duration(completed.duration), Style::Dim, self.colour);
                if self.open.swap(false, Ordering::Relaxed) {
                    message(&format!(" {took}\n"));
                } else {
                    message(&format!(
                        "{prefix}{} ... {took}\n",
                        step_line(step, self.colour)
                    ));
                }
            }
            _ => {}
        }
    }

    /// Ends a started line after the run failed, before the error is reported.
    pub fn failed(&self) {
        if self.open.swap(false, Ordering::Relaxed) {
            message(&format!(
                " {}\n",
                paint("failed", Style::Error, self.colour)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_micros(400)), "0.4 ms");
        assert_eq!(duration(Duration::from_micros(12_340)), "12.3 ms");
        assert_eq!(duration(Duration::from_millis(2_346)), "2.35 s");
        assert_eq!(duration(Duration::from_secs(187)), "3m 07s");
    }

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(paint("x", Style::Error, false), "x");
        assert_eq!(paint("x", Style::Error, true), "\x1b[1;31mx\x1b[0m");
        assert_eq!(
            paint_report("error: a\n  detail\nerror: b", true),
            "\x1b[1;31merror:\x1b[0m a\n  detail\n\x1b[1;31merror:\x1b[0m b"
        );
    }
}
