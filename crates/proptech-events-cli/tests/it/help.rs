//! Every command's `--help`, snapshotted: each has an example.

use crate::run;

#[test]
fn every_help_text_has_an_example() {
    let commands: [&[&str]; 10] = [
        &[],
        &["validate"],
        &["sign"],
        &["send"],
        &["verify"],
        &["events"],
        &["events", "show"],
        &["listen"],
        &["queue"],
        &["drift"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            stdout.contains("Example:"),
            "{args:?} has no example:\n{stdout}"
        );
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command.join("_"))
        };
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn a_wrong_argument_is_one_clear_error_with_exit_2() {
    let (code, _, stderr) = run(&["sign", "--provider", "nope", "--secret", "x", "f"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: invalid value 'nope' for '--provider <PROVIDER>' \
         [possible values: valara, repull, lavanda, everreal] (see --help)\n"
    );
    let (code, _, stderr) = run(&["send", "--provider", "repull"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--url <URL>"), "{stderr}");
}
