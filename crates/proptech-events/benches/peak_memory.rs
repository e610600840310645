//! Peak heap of receiving a 10 MiB delivery, as a ratio to the body's size, measured with dhat's
//! heap profiler (in its own binary, so its bookkeeping does not slow the timing benchmark).

use proptech_events::receive::{Options, RepullReceiver};

/// The `X-Repull-Signature` value Repull sends for `body`.
fn sign_repull(secret: &str, body: &[u8]) -> String {
    <proptech_events::receive::RepullReceiver as proptech_events::receive::Receiver>::signature(
        &[secret],
        "",
        0,
        body,
    )
    .expect("any secret signs")
}

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const SECRET: &str = "whsec_k7d9f2example";

/// The receiver's clock: the moment the delivery says it was created (2026-05-01T12:34:56Z),
/// inside Repull's replay horizon.
const NOW: i64 = 1_777_638_896;

fn main() {
    let filler = "x".repeat(10 * 1024 * 1024 - 200);
    let body = format!(
        r#"{{"type":"repull.ping","deliveryId":"d","createdAt":"2026-05-01T12:34:56Z","data":{{"message":"{filler}"}}}}"#
    )
    .into_bytes();
    drop(filler);
    let signature = sign_repull(SECRET, &body);
    let dir = format!("{}/../../target/criterion", env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::create_dir_all(&dir);
    for validate in [false, true] {
        let receiver = RepullReceiver::new([SECRET]).expect("secret").with_options(
            Options::default()
                .with_validate(validate)
                .with_max_body(11 << 20),
        );
        // A profiler per measurement: it counts only what is allocated while it runs, so the body
        // (allocated before) is not counted and the peak is what receiving it cost.
        let profiler = dhat::Profiler::builder().testing().build();
        let event = receiver
            .receive_at(&[("X-Repull-Signature", signature.as_str())], &body, NOW)
            .expect("verifies");
        let peak = dhat::HeapStats::get().max_bytes;
        drop(event);
        drop(profiler);
        let ratio = peak as f64 / body.len() as f64;
        println!(
            "peak heap while receiving (validate={validate}): {peak} bytes for a {} byte body = {ratio:.2}x",
            body.len()
        );
        let _ = std::fs::write(
            format!("{dir}/peak-memory-validate-{validate}.txt"),
            format!("{ratio:.3}"),
        );
    }
}
