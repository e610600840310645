//! Runs typify, as a Rust partner would, on the draft-07 twin of every event the bundle carries,
//! and writes one module per event plus an index (`OUT_DIR/typify.rs`) that the crate includes.
//!
//! An event typify cannot turn into types (it panics or errs) is not dropped: it is listed in
//! `FAILED` with typify's message, and the tests fail naming it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptech_catalog::SchemaSet;
use proptech_codegen::model::snake;
use serde_json::Value;
use typify::{TypeSpace, TypeSpaceSettings};

/// typify's settings, the same the bundle's README shows partners.
fn settings() -> TypeSpaceSettings {
    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    settings
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("../../schemas");
    println!("cargo:rerun-if-changed={}", root.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));

    let set = SchemaSet::load(&root).expect("the schema set loads");
    let bundled = proptech_publish::bundled_schemas(&set).expect("the schema set bundles");
    let twins = proptech_publish::draft07_twins(&bundled);

    // provider -> [(event type, module, root type or typify's error)]
    let mut providers: BTreeMap<String, Provider> = BTreeMap::new();
    for event in set.events() {
        let path = &event.doc.path;
        let twin = &twins[path];
        let file = out.join(proptech_publish::draft07::DIR).join(path);
        write(&file, &format!("{twin:#}\n"));
        let module = snake(event.event_type);
        let generated = generate(twin);
        if let Ok((_, code)) = &generated {
            write(
                &out.join("typify")
                    .join(event.provider)
                    .join(format!("{module}.rs")),
                code,
            );
        }
        providers
            .entry(event.provider.to_owned())
            .or_default()
            .push((
                event.event_type.to_owned(),
                module,
                generated.map(|(root, _)| root),
            ));
    }
    write(&out.join("typify.rs"), &index(&providers));
}

/// typify's output for one twin: the root type's name and the formatted code.
fn generate(twin: &Value) -> Result<(String, String), String> {
    let schema: schemars::schema::RootSchema =
        serde_json::from_value(twin.clone()).map_err(|e| format!("not a schema: {e}"))?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || {
        let mut space = TypeSpace::new(&settings());
        let root = space
            .add_root_schema(schema)
            .map_err(|e| e.to_string())?
            .ok_or("no root type")?;
        let name = space.get_type(&root).map_err(|e| e.to_string())?.name();
        let file = syn::parse2::<syn::File>(space.to_stream()).map_err(|e| e.to_string())?;
        Ok::<_, String>((name, prettyplease::unparse(&file)))
    });
    std::panic::set_hook(previous);
    match result {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "typify panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    }
}

/// One provider's events: (event type, module name, root type name or typify's error).
type Provider = Vec<(String, String, Result<String, String>)>;

fn index(providers: &BTreeMap<String, Provider>) -> String {
    let mut out = String::new();
    let mut arms = String::new();
    let mut failed = String::new();
    let mut all = String::new();
    for (provider, events) in providers {
        writeln!(
            out,
            "/// typify's types for {provider}, one module per event."
        )
        .ok();
        writeln!(out, "pub mod {provider} {{").ok();
        for (event_type, module, root) in events {
            writeln!(all, "    ({provider:?}, {event_type:?}),").ok();
            match root {
                Ok(root) => {
                    writeln!(
                        out,
                        "    /// `{event_type}`: the root type is [`{module}::{root}`]."
                    )
                    .ok();
                    writeln!(
                        out,
                        "    pub mod {module} {{ include!(concat!(env!(\"OUT_DIR\"), \"/typify/{provider}/{module}.rs\")); }}"
                    )
                    .ok();
                    writeln!(
                        arms,
                        "        ({provider:?}, {event_type:?}) => Some(crate::typed_round_trip::<{provider}::{module}::{root}>(value)),"
                    )
                    .ok();
                }
                Err(error) => {
                    writeln!(failed, "    ({provider:?}, {event_type:?}, {error:?}),").ok();
                }
            }
        }
        writeln!(out, "}}").ok();
    }
    writeln!(
        out,
        "/// Every event of the bundle: (provider, event type).\n\
         pub const EVENTS: &[(&str, &str)] = &[\n{all}];\n\n\
         /// The events typify could not generate types for: (provider, event type, typify's message).\n\
         pub const FAILED: &[(&str, &str, &str)] = &[\n{failed}];\n\n\
         /// Deserialises `value` into the typify type of the event and serialises it back, or `None`\n\
         /// for an event typify has no type for.\n\
         pub fn round_trip(provider: &str, event_type: &str, value: &serde_json::Value) -> Option<Result<serde_json::Value, String>> {{\n\
         \x20   match (provider, event_type) {{\n{arms}        _ => None,\n    }}\n}}"
    )
    .ok();
    out
}

fn write(path: &Path, contents: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("OUT_DIR is writable");
    }
    std::fs::write(path, contents).expect("OUT_DIR is writable");
}
