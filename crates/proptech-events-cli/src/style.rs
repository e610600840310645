//! Output styles: colours only on a terminal (anstream strips them elsewhere and honours
//! `NO_COLOR`).

use anstyle::{AnsiColor, Style};

/// Bold, for headings and names.
pub const BOLD: Style = Style::new().bold();
/// Green, for success.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Red, for failures.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Yellow, for warnings and hints.
pub const WARN: Style = AnsiColor::Yellow.on_default();
/// Dimmed, for secondary detail.
pub const DIM: Style = Style::new().dimmed();

/// `text` in `style` (plain where colours are off).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// Prints `error: message` on standard error, as one line.
pub fn error_line(message: &str) {
    anstream::eprintln!("{} {message}", paint(BAD, "error:"));
}
