//! `events`: the catalog table and `events show`.

use crate::run;

#[test]
fn the_catalog_table() {
    let (code, stdout, _) = run(&["events"]);
    assert_eq!(code, 0);
    // 17 + 15 + 30 + 28 events, a header line and a count line.
    assert_eq!(stdout.lines().count(), 90 + 2, "{stdout}");
    assert!(stdout.ends_with("90 events\n"), "{stdout}");
    insta::assert_snapshot!("events_table", stdout);
}

#[test]
fn the_table_filters_by_provider_and_search() {
    let (code, stdout, _) = run(&["events", "--provider", "valara", "LISTING"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("events_valara_listing", stdout);
    assert!(
        stdout
            .lines()
            .skip(1)
            .all(|l| l.contains("valara") || l.ends_with("events"))
    );

    let (code, _, stderr) = run(&["events", "no-such-thing"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no event matches"), "{stderr}");
}

#[test]
fn show_prints_fields_with_their_docs_and_the_sample() {
    let (code, stdout, stderr) = run(&["events", "show", "reservation.cancelled"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("events_show_reservation_cancelled", stdout);
    assert!(stdout.contains("/data/refund/amount"), "{stdout}");
    assert!(
        stdout.contains("\"confirmationCode\": \"HMA1234567\""),
        "{stdout}"
    );

    // listing.created is sent by Valara and Repull.
    let (code, _, stderr) = run(&["events", "show", "listing.created"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("valara and repull: pass --provider"),
        "{stderr}"
    );
    let (code, stdout, _) = run(&["events", "show", "-p", "valara", "listing.created"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("valara listing.created"), "{stdout}");
    let (code, _, stderr) = run(&["events", "show", "listing.creatd"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`proptech-events events` lists them"),
        "{stderr}"
    );
}

#[test]
fn colours_only_on_a_terminal_and_no_repository_needed() {
    // Piped (as here), nothing is coloured even without NO_COLOR; forced, the styles are there.
    let plain = assert_cmd::Command::new(crate::BIN)
        .args(["events", "show", "repull.ping"])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        // Run from a directory outside the repository: schemas and samples are embedded.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8(plain.stdout).expect("utf8");
    assert!(plain.status.success());
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(
        stdout.contains("\"message\": \"Ping from Repull."),
        "{stdout}"
    );
    let forced = assert_cmd::Command::new(crate::BIN)
        .args(["events", "show", "repull.ping"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\u{1b}[1m"));
}
