//! The promise of `cargo xtask compat`, proved per change kind: for every kind in its taxonomy
//! (`ChangeKind::ALL`), a client written against the crate generated from the old schema either
//! still compiles against the crate generated from the new one, and `compat` called the change
//! compatible for Rust, or it does not, and `compat` called it breaking for Rust.
//!
//! The cases are `tests/compat_clients/cases.json`: one small Lavanda event per kind, in two
//! versions. All cases of a version are generated into one module (`render_provider`), so the
//! test builds one small crate and runs `cargo check` twice (old module, new module), whatever
//! the number of kinds. Each case's client is its own file, written from the old module's public
//! API as a user could use it: it names every type of the case, reads every public field as its
//! type and assigns it, calls every public method and `new` with arguments of the parameters'
//! types, matches every enum (with `_` only where the enum is `#[non_exhaustive]`) and reads
//! `as_str()` of open enums. rustc's errors are attributed to the client files they point at.
//!
//! The crate is checked under `<target>/tests/compat-clients` (like trybuild's `tests/trybuild`),
//! offline, with the workspace's `Cargo.lock`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use proptech_catalog::SchemaSet;
use proptech_codegen::api::{PublicApi, Shape};
use proptech_publish::compat::{self, ChangeKind, RustVerdict, Severity};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Cases {
    template: Value,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: String,
    #[serde(default)]
    path: Option<String>,
    base: Option<Value>,
    head: Option<Value>,
    /// The Lavanda event type the case's event takes (assigned, see `cases.json`).
    #[serde(skip)]
    event_type: String,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Case {
    fn event_type(&self) -> String {
        self.event_type.clone()
    }

    fn path(&self) -> String {
        self.path
            .clone()
            .unwrap_or_else(|| format!("lavanda/events/{}.json", self.event_type()))
    }

    /// The schema in the version `patch` describes (`head` is applied over `base`).
    fn schema(&self, template: &Value, head: bool) -> Option<Value> {
        let patches: Vec<&Value> = if head {
            self.base.iter().chain([self.head.as_ref()?]).collect()
        } else {
            vec![self.base.as_ref()?]
        };
        let id = format!("https://schemas.proptech-events.dev/{}", self.path());
        let mut schema = if self.path.is_some() {
            serde_json::json!({ "$schema": "https://json-schema.org/draft/2020-12/schema" })
        } else {
            let mut schema = template.clone();
            schema["x-event-type"] = Value::String(self.event_type());
            schema["properties"]["type"] = serde_json::json!({ "const": self.event_type() });
            schema
        };
        schema["$id"] = Value::String(id);
        for patch in patches {
            json_patch::merge(&mut schema, patch);
        }
        Some(schema)
    }
}

/// Writes every case's schema of one version under `dir` and loads it.
fn schema_set(cases: &Cases, dir: &Path, head: bool) -> SchemaSet {
    let _ = std::fs::remove_dir_all(dir);
    for case in &cases.cases {
        let Some(schema) = case.schema(&cases.template, head) else {
            continue;
        };
        let path = dir.join(case.path());
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, serde_json::to_string_pretty(&schema).expect("JSON"))
            .expect("writes");
    }
    // The cases pose as Lavanda's events: its descriptor says how its events are shaped.
    std::fs::copy(
        workspace().join("schemas/lavanda/provider.toml"),
        dir.join("lavanda/provider.toml"),
    )
    .expect("the descriptor copies");
    SchemaSet::load(dir).expect("the case schemas load")
}

/// A client of the items of `api` located in `schema`, as a user of the old crate writes it.
fn client(api: &PublicApi, schema: &str) -> String {
    let mut out = String::from("#![allow(warnings)]\nuse crate::api::*;\n");
    let mut n = 0;
    for (path, item) in &api.items {
        if !item.locations.iter().any(|l| l.schema == schema) {
            continue;
        }
        let name = path.split("::").last().expect("item name");
        n += 1;
        match &item.shape {
            Shape::Struct {
                generics,
                fields,
                methods,
                ..
            } if generics.is_empty() => {
                let mut params = vec![format!("mut v: {name}")];
                let mut body = Vec::new();
                for (field, f) in fields {
                    params.push(format!("f_{field}: {}", f.ty));
                    body.push(format!("let _: &{} = &v.r#{field};", f.ty));
                    body.push(format!("v.r#{field} = f_{field};"));
                }
                for (method, sig) in methods {
                    let mut args = Vec::new();
                    for (param, ty) in &sig.params {
                        params.push(format!("m_{method}_{param}: {ty}"));
                        args.push(format!("m_{method}_{param}"));
                    }
                    let args = args.join(", ");
                    body.push(if sig.receiver.is_empty() {
                        format!("let _ = {name}::{method}({args});")
                    } else {
                        format!("let _ = v.{method}({args});")
                    });
                }
                out.push_str(&format!(
                    "fn use_{n}({}) {{\n    {}\n}}\n",
                    params.join(", "),
                    body.join("\n    ")
                ));
            }
            Shape::Enum {
                non_exhaustive,
                open,
                variants,
            } => {
                let mut arms: Vec<String> = variants
                    .iter()
                    .map(|(variant, payload)| {
                        let pattern = match payload.chars().next() {
                            Some('(') => "(..)",
                            Some('{') => "{ .. }",
                            _ => "",
                        };
                        format!("{name}::{variant}{pattern} => {{}}")
                    })
                    .collect();
                if *non_exhaustive {
                    arms.push("_ => {}".to_owned());
                }
                let as_str = if *open {
                    "let _: &str = v.as_str();"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "fn use_{n}(v: {name}) {{\n    {as_str}\n    match v {{ {} }}\n}}\n",
                    arms.join(", ")
                ));
            }
            _ => out.push_str(&format!("// `{name}`: {:?}\n", item.shape)),
        }
    }
    out
}

/// The target directory of this test run.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// `cargo check` of the client crate at `dir`: per client file (by case name), its errors; the
/// errors that point at no client (in the generated module: a generator bug) under `""`.
fn check(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let output = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args(["check", "--quiet", "--offline", "--message-format=json"])
        .env(
            "CARGO_TARGET_DIR",
            target_dir().join("tests/compat-clients"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo check runs");
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let text = message["message"]["rendered"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let file = message["message"]["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|s| s["is_primary"] == true))
            .and_then(|s| s["file_name"].as_str())
            .unwrap_or_default();
        let case = file
            .strip_prefix("src/clients/")
            .and_then(|f| f.strip_suffix(".rs"))
            .unwrap_or_default();
        errors.entry(case.to_owned()).or_default().push(text);
    }
    if !output.status.success() && errors.is_empty() {
        panic!(
            "cargo check failed without a compiler error:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    errors
}

#[test]
fn every_change_kind_compiles_or_breaks_as_compat_says() {
    let started = std::time::Instant::now();
    let cases: Cases = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat_clients/cases.json"),
        )
        .expect("cases.json"),
    )
    .expect("cases.json is valid");
    let mut cases = cases;
    let workspace_set = SchemaSet::load_workspace().expect("the schema set loads");
    let mut event_types: Vec<String> = workspace_set
        .events()
        .filter(|e| e.provider == "lavanda")
        .map(|e| e.event_type.to_owned())
        .collect();
    event_types.sort();
    event_types.reverse();
    for case in cases.cases.iter_mut().filter(|c| c.path.is_none()) {
        case.event_type = event_types.pop().expect("enough Lavanda event types");
    }
    let another = event_types.pop().expect("one more Lavanda event type");
    for case in &mut cases.cases {
        if let Some(head) = &mut case.head
            && head.get("x-event-type").and_then(Value::as_str) == Some("$another")
        {
            head["x-event-type"] = Value::String(another.clone());
        }
    }

    // Every kind compat knows has a case.
    let covered: BTreeSet<&str> = cases.cases.iter().map(|c| c.kind.as_str()).collect();
    let missing: Vec<&str> = ChangeKind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|k| !covered.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "change kinds without a case: {missing:?}"
    );

    let work = target_dir().join("tests/compat-clients/crate");
    let base_set = schema_set(&cases, &work.join("schemas-old"), false);
    let head_set = schema_set(&cases, &work.join("schemas-new"), true);
    let base = proptech_publish::snapshot_of_set(&base_set, "1.0.0").expect("old snapshot");
    let head = proptech_publish::snapshot_of_set(&head_set, "1.0.0").expect("new snapshot");
    let report = compat::compare(&base, &head);
    let text = report.render();
    let api = |set: &SchemaSet| {
        proptech_codegen::api::provider_api(set, "lavanda").expect("the cases generate")
    };
    let old_api = api(&base_set);

    // The crate: the generated module as `api`, one client file per case.
    let src = work.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(src.join("clients")).expect("src/clients");
    let events = workspace().join("crates/proptech-events");
    std::fs::write(
        work.join("Cargo.toml"),
        format!(
            "[package]\nname = \"compat-clients\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nproptech-events = {{ path = {:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = {{ version = \"1\", features = [\"preserve_order\", \"raw_value\"] }}\n\n[workspace]\n",
            events.display().to_string()
        ),
    )
    .expect("Cargo.toml");
    std::fs::copy(workspace().join("Cargo.lock"), work.join("Cargo.lock")).expect("Cargo.lock");
    let mut lib = format!(
        "#![allow(warnings)]\npub use proptech_events::*;\n\
         pub mod __private {{\n    pub use proptech_events::__private::*;\n    \
         #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n    \
         pub struct PrivOwnedStr(pub Box<str>);\n    \
         impl PrivOwnedStr {{ pub fn as_str(&self) -> &str {{ &self.0 }} }}\n}}\n\
         #[macro_use]\n#[path = {:?}]\nmod macros;\npub mod api;\n",
        events.join("src/macros.rs").display().to_string()
    );
    let mut verdicts: BTreeMap<String, (String, Severity)> = BTreeMap::new();
    for case in &cases.cases {
        let schema = case.path();
        assert!(
            report
                .changes
                .iter()
                .any(|c| c.schema == schema && c.kind.name() == case.kind),
            "case {}: compat reports no {}:\n{text}",
            case.name,
            case.kind
        );
        let mut rust = Severity::Compatible;
        for change in report.changes.iter().filter(|c| c.schema == schema) {
            match &change.rust {
                RustVerdict::Compared(_) => rust = rust.min(change.rust.severity()),
                other => panic!("case {}: Rust layer not compared: {other:?}", case.name),
            }
        }
        let unexplained = report
            .rust_only
            .iter()
            .any(|d| d.breaking && d.locations.iter().any(|l| l.schema == schema));
        if unexplained {
            rust = Severity::Breaking;
        }
        verdicts.insert(case.name.clone(), (case.kind.clone(), rust));
        std::fs::write(
            src.join(format!("clients/{}.rs", case.name)),
            client(&old_api, &schema),
        )
        .expect("client");
        lib.push_str(&format!(
            "#[path = \"clients/{0}.rs\"]\nmod case_{0};\n",
            case.name
        ));
    }
    std::fs::write(src.join("lib.rs"), lib).expect("lib.rs");

    let render = |set: &SchemaSet| {
        proptech_codegen::render_provider(set, "lavanda")
            .expect("the cases render")
            .contents
    };
    std::fs::write(src.join("api.rs"), render(&base_set)).expect("old api.rs");
    let old_errors = check(&work);
    assert!(
        old_errors.is_empty(),
        "the clients must compile against the crate they were written for:\n{}",
        old_errors
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    std::fs::write(src.join("api.rs"), render(&head_set)).expect("new api.rs");
    let new_errors = check(&work);
    if let Some(errors) = new_errors.get("") {
        panic!(
            "the new generated module does not compile:\n{}",
            errors.join("\n")
        );
    }

    let mut disagreements = Vec::new();
    let mut table = String::new();
    for (name, (kind, rust)) in &verdicts {
        let compiles = !new_errors.contains_key(name);
        table.push_str(&format!(
            "{kind:<28} compat says {:<10} the old client {}\n",
            rust.as_str(),
            if compiles { "compiles" } else { "breaks" }
        ));
        if compiles != (*rust == Severity::Compatible) {
            disagreements.push(format!(
                "{kind} (case {name}): compat calls it {} for Rust, but the old client {}{}",
                rust.as_str(),
                if compiles {
                    "still compiles".to_owned()
                } else {
                    "no longer compiles".to_owned()
                },
                new_errors
                    .get(name)
                    .map(|e| format!(":\n{}", e.join("\n")))
                    .unwrap_or_default()
            ));
        }
    }
    eprintln!("{table}({:.1?})", started.elapsed());
    assert!(
        disagreements.is_empty(),
        "compat's Rust verdict and the compiler disagree:\n{}\n\nthe report:\n{text}",
        disagreements.join("\n\n")
    );
}
