//! `validate`: exit 0 valid, 1 invalid (each violation with its pointer, keyword and expectation),
//! 2 unusable; `--json`.

use serde_json::{Value, json};

use crate::{cli, run, schema_file, scratch};

fn cancelled() -> Value {
    let mut v: Value = serde_json::from_slice(
        &std::fs::read(schema_file("repull/fixtures/reservation.cancelled.json")).expect("fixture"),
    )
    .expect("json");
    // The printed sample has a placeholder type (errata.toml).
    v["type"] = json!("reservation.cancelled");
    v
}

#[test]
fn a_valid_payload_exits_0() {
    let file = scratch("valid.json", cancelled().to_string().as_bytes());
    let (code, stdout, _) = run(&["validate", "-p", "repull", &file]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout,
        format!("{file}: repull reservation.cancelled valid\n")
    );
    // From standard input.
    cli()
        .args(["validate", "--provider", "repull", "-"])
        .write_stdin(cancelled().to_string())
        .assert()
        .code(0)
        .stdout("-: repull reservation.cancelled valid\n");
}

#[test]
fn an_invalid_payload_exits_1_with_every_violation() {
    let mut v = cancelled();
    v["data"]["id"] = json!("215906");
    v["data"]["refund"]
        .as_object_mut()
        .expect("object")
        .remove("currency");
    let file = scratch("invalid.json", v.to_string().as_bytes());
    let (code, stdout, _) = run(&["validate", "-p", "repull", &file]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("repull reservation.cancelled invalid (2 violations)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  /data/id [type] \"215906\" is not of type \"integer\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("      expected type: \"integer\""),
        "{stdout}"
    );
    assert!(stdout.contains("      docs: Reservation id."), "{stdout}");
    assert!(stdout.contains("  /data/refund [required]"), "{stdout}");

    let (code, stdout, _) = run(&["validate", "-p", "repull", "--json", &file]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).expect("JSON output");
    let entry = &report[0];
    assert_eq!(entry["valid"], false);
    assert_eq!(entry["event_type"], "reservation.cancelled");
    let violations = entry["violations"].as_array().expect("list");
    assert_eq!(violations.len(), 2, "{stdout}");
    let id = violations
        .iter()
        .find(|v| v["instance_path"] == "/data/id")
        .expect("id");
    assert_eq!(id["keyword"], "type");
    assert_eq!(id["expected"], "integer");
    let refund = violations
        .iter()
        .find(|v| v["instance_path"] == "/data/refund")
        .expect("refund");
    assert_eq!(refund["keyword"], "required");
}

#[test]
fn unusable_input_exits_2_and_the_worst_file_wins() {
    let valid = scratch("valid-2.json", cancelled().to_string().as_bytes());
    let not_json = scratch("not-json.json", b"{\"type\": ");
    let (code, stdout, _) = run(&["validate", "-p", "repull", &valid, &not_json]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("not-json.json: unusable: not JSON"),
        "{stdout}"
    );

    let unknown = scratch("unknown.json", br#"{"type": "reservation.teleported"}"#);
    let (code, stdout, _) = run(&["validate", "-p", "repull", "--json", &unknown]);
    assert_eq!(code, 2);
    let report: Value = serde_json::from_str(&stdout).expect("JSON output");
    assert!(
        report[0]["error"]
            .as_str()
            .expect("error")
            .contains("no event type \"reservation.teleported\"")
    );

    let untyped = scratch("untyped.json", br#"{"data": {}}"#);
    let (code, stdout, _) = run(&["validate", "-p", "valara", &untyped]);
    assert_eq!(code, 2);
    assert!(stdout.contains("no string `event_type` member"), "{stdout}");

    let (code, stdout, _) = run(&["validate", "-p", "repull", "/no/such/file"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("cannot read /no/such/file"), "{stdout}");

    let mut invalid = cancelled();
    invalid["createdAt"] = json!("yesterday");
    let invalid = scratch("invalid-2.json", invalid.to_string().as_bytes());
    let (code, _, _) = run(&["validate", "-p", "repull", &valid, &invalid]);
    assert_eq!(code, 1);
}

/// A violation inside a member marked as personal data is reported without its value (the
/// validator's and the typed parse's messages quote it), unless `--show-personal-data`.
#[test]
fn violations_quote_no_personal_value_unless_asked() {
    let path = schema_file("repull/fixtures/reservation.created.json");
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    // The printed sample has a placeholder type (errata.toml).
    v["type"] = json!("reservation.created");
    v["data"]["primaryGuest"]["email"] = Value::from("Ana Ruiz at home");
    v["data"]["primaryGuest"]["lastName"] = Value::from(42);
    let file = scratch("personal.json", v.to_string().as_bytes());
    for json in [false, true] {
        let mut args = vec!["validate", "-p", "repull", &file];
        if json {
            args.push("--json");
        }
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("/data/primaryGuest/email"), "{stdout}");
        assert!(!stdout.contains("Ana Ruiz"), "{stdout}");
        assert!(
            stdout.contains("[not shown: the value here may hold personal data]"),
            "{stdout}"
        );
        args.push("--show-personal-data");
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains("Ana Ruiz at home"), "{stdout}");
    }
}

/// The shapes an attack found quoting personal values: an item of a marked list, and the object
/// holding marked members sent inside a list or as its own JSON text.
#[test]
fn personal_values_in_another_shape_are_not_quoted_either() {
    let contact = std::fs::read(schema_file("lavanda/fixtures/v1.crm.contact.created.json"))
        .expect("fixture");
    let mut contact: Value = serde_json::from_slice(&contact).expect("JSON");
    contact["contact"]["secondaryPhoneNumbers"] = json!([4_915_112_345_678_u64]);
    contact["contact"]["secondaryEmails"] = json!([{ "address": "ana.ruiz@example.com" }]);
    let reservation =
        std::fs::read(schema_file("repull/fixtures/reservation.created.json")).expect("fixture");
    let mut reservation: Value = serde_json::from_slice(&reservation).expect("JSON");
    reservation["type"] = json!("reservation.created");
    let guest = json!({ "firstName": "Ana", "lastName": "Ruiz", "email": "ana.ruiz@example.com" });
    let mut in_a_list = reservation.clone();
    in_a_list["data"]["primaryGuest"] = json!([guest]);
    let mut as_text = reservation;
    as_text["data"]["primaryGuest"] = json!(guest.to_string());
    for (provider, name, v) in [
        ("lavanda", "a1", contact),
        ("repull", "a2", in_a_list),
        ("repull", "a3", as_text),
    ] {
        let file = scratch(&format!("personal-{name}.json"), v.to_string().as_bytes());
        for json in [false, true] {
            let mut args = vec!["validate", "-p", provider, &file];
            if json {
                args.push("--json");
            }
            let (code, stdout, _) = run(&args);
            assert_eq!(code, 1, "{stdout}");
            for hidden in ["4915112345678", "ana.ruiz", "Ruiz"] {
                assert!(!stdout.contains(hidden), "{name}: {hidden} in {stdout}");
            }
        }
    }
}
