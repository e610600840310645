//! Tests of the `proptech-events` binary, run as a user runs it: every command, its help, its
//! output and its exit status. The binary is built once, by cargo, for all of them.

mod drift;
mod drift_apply;
mod events;
mod help;
mod queue;
mod readme;
mod samples;
mod send;
mod sign;
mod validate;
mod verify;

/// A real `redis-server`, as the workspace's Redis tests start it.
#[path = "../../../../tests/tests/it/support/redis_server.rs"]
#[allow(
    dead_code,
    reason = "shared with the workspace suite, which uses all of it"
)]
mod redis_server;

use std::path::{Path, PathBuf};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_proptech-events");

/// Valara's documented test secret.
pub const VALARA_SECRET: &str = "test_secret_001";
/// Repull's documented example secret.
pub const REPULL_SECRET: &str = "whsec_k7d9f2example";
/// The Standard Webhooks specification's test secret.
pub const LAVANDA_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The environment variables `listen` reads a provider's secrets from (`VALARA_SECRET`, …), one
/// per provider: removed from every command a test runs, so the developer's own stay out.
pub fn secret_variables() -> impl Iterator<Item = String> {
    proptech_events::Provider::ALL
        .into_iter()
        .map(|p| format!("{}_SECRET", p.as_str().to_uppercase()))
}

/// A command for the binary, with colours off and no secrets from the environment.
pub fn cli() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(BIN);
    cmd.env("NO_COLOR", "1");
    for name in secret_variables() {
        cmd.env_remove(name);
    }
    cmd
}

/// Runs the binary with `args`: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let output = cli().args(args).output().expect("the binary runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).expect("utf8 stdout"),
        String::from_utf8(output.stderr).expect("utf8 stderr"),
    )
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under `schemas/`, as a string argument.
pub fn schema_file(path: &str) -> String {
    workspace()
        .join("schemas")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// Writes `bytes` to a file of this test run's scratch directory and returns its path.
pub fn scratch(name: &str, bytes: &[u8]) -> String {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::write(&path, bytes).expect("scratch file");
    path.to_string_lossy().into_owned()
}
