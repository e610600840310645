//! `proptech-events`: the command-line tool for integrators of the Valara, Repull, Lavanda and
//! EverReal webhooks. Validate a payload, print the headers a provider would send, send signed test
//! deliveries, explain why a signature does not verify, browse the event catalog, receive
//! deliveries locally, and report what live deliveries carry that the schemas do not say. Everything it needs (schemas, samples) is embedded in the binary.

mod catalog;
mod cli;
mod drift;
mod generated;
mod listen;
mod queue;
mod send;
mod sign;
mod style;
mod validate;
mod verify;

use std::process::ExitCode;

use clap::Parser as _;

/// An error that ends a command: one line saying what is wrong and what to do, and the exit code.
#[derive(Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a binary's type: no other crate can name it"
)]
pub struct Failure {
    /// What to print after `error: `.
    pub message: String,
    /// The exit code (2 for unusable input or arguments).
    pub code: u8,
}

impl Failure {
    /// Unusable input or arguments: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }
}

/// clap's argument error as one line: its message and what it suggests, without the usage block.
fn one_line(rendered: &str) -> String {
    let mut parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    if let Some(first) = parts.first_mut() {
        *first = first.strip_prefix("error: ").unwrap_or(first);
    }
    format!("{} (see --help)", parts.join(" "))
}

/// What a command returns: its exit code, or a failure.
pub type Outcome = Result<ExitCode, Failure>;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            style::error_line(&one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        cli::Command::Validate(args) => validate::run(&args),
        cli::Command::Sign(args) => sign::run(&args),
        cli::Command::Send(args) => send::run(&args),
        cli::Command::Verify(args) => verify::run(&args),
        cli::Command::Events(args) => catalog::run(&args),
        cli::Command::Listen(args) => listen::run(&args),
        cli::Command::Queue(args) => queue::run(&args),
        cli::Command::Drift(args) => drift::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            style::error_line(&failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read {path}: {e}; pass a file holding the delivery body, or - for standard input"
        ))
    })
}
