//! A crate outside the workspace, built against the packaged `proptech-events` crates only: a
//! correct subset struct compiles and receives a real fixture, a wrong one fails with the
//! documented message. See `tests/external/README.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cargo() -> Command {
    let mut c = Command::new(env!("CARGO"));
    c.env_remove("RUSTFLAGS").env("CARGO_TERM_COLOR", "never");
    c
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Unpacks a `.crate` (a gzipped tar) into `into`.
fn unpack(file: &Path, into: &Path) {
    std::fs::create_dir_all(into).expect("mkdir");
    run(Command::new("tar").arg("xzf").arg(file).arg("-C").arg(into));
}

#[test]
fn an_outside_crate_uses_the_packaged_derive() {
    let root = workspace();
    let work = root.join("target/external-crate");
    let _ = std::fs::remove_dir_all(work.join("registry"));
    let _ = std::fs::remove_dir_all(work.join("app"));
    // Cargo takes a registry crate of a given version as immutable and would reuse an earlier
    // build of this same version number: the outside crate builds from scratch.
    let _ = std::fs::remove_dir_all(work.join("target"));
    run(cargo()
        .current_dir(&root)
        .args(["package", "--no-verify", "--allow-dirty", "--quiet"])
        .args(["-p", "proptech-events-derive", "-p", "proptech-events"])
        .arg("--target-dir")
        .arg(work.join("package-target")));
    let version = env!("CARGO_PKG_VERSION");
    for name in ["proptech-events", "proptech-events-derive"] {
        let file = work.join(format!("package-target/package/{name}-{version}.crate"));
        unpack(&file, &work.join("registry"));
    }
    // Only what the packages hold: the workspace's schemas/ is not reachable from here.
    let app = work.join("app");
    std::fs::create_dir_all(app.join("src")).expect("mkdir");
    let manifest = format!(
        r#"[package]
name = "outside"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
proptech-events = "{version}"
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[patch.crates-io]
proptech-events = {{ path = "../registry/proptech-events-{version}" }}
proptech-events-derive = {{ path = "../registry/proptech-events-derive-{version}" }}
"#
    );
    std::fs::write(app.join("Cargo.toml"), manifest).expect("write manifest");
    let target = root.join("target/external-crate/target");

    let good =
        std::fs::read_to_string(root.join("crates/proptech-events/examples/subset_struct.rs"))
            .expect("template");
    std::fs::write(app.join("src/main.rs"), good).expect("write");
    let fixture = root.join("schemas/repull/fixtures/reservation.created.event-page.json");
    let out = run(cargo()
        .current_dir(&app)
        .args(["run", "--quiet", "--target-dir"])
        .arg(&target)
        .arg("--")
        .arg(&fixture));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "HMA1234567 2026-06-01 4"
    );

    let wrong =
        std::fs::read_to_string(root.join("tests/external/subset_wrong.rs")).expect("template");
    std::fs::write(app.join("src/main.rs"), wrong).expect("write");
    let out = cargo()
        .current_dir(&app)
        .args(["build", "--quiet", "--target-dir"])
        .arg(&target)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the wrong subset compiled");
    assert!(
        stderr.contains(
            "`confirmation_code` is not a property of repull reservation.created at /data; did you mean `confirmationCode`"
        ),
        "unexpected message:\n{stderr}"
    );
}
