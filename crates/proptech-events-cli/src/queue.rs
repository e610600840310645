//! `queue`: the Redis streams behind the consumers, as an operator sees them: how long they
//! are, what is pending and where, which deliveries ended as dead letters and why, and replay.

use std::process::ExitCode;

use proptech_events::receive::Escaped;
use proptech_events::receive::stream::{self, ReplayFilter, Streams};

use crate::cli::{QueueArgs, QueueCommand, ReplayArgs};
use crate::{Failure, Outcome};

/// A time argument as Unix milliseconds.
fn millis(flag: &str, text: &Option<String>) -> Result<Option<i64>, Failure> {
    text.as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_millis())
                .map_err(|e| {
                    Failure::usage(format!(
                        "{flag} {t:?} is not an RFC 3339 time ({e}); write 2026-12-01T00:00:00Z"
                    ))
                })
        })
        .transpose()
}

/// `url` with its password (if any) replaced by `***`, for messages.
fn masked(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{}{user}{hidden}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A Redis failure as one line: what failed and why (its source), never the URL's password.
fn redis_failure(url: &str, e: &proptech_events::receive::StoreError) -> Failure {
    let mut message = e.message().to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure {
        message: format!("{} (Redis at {})", Escaped(&message), Escaped(&masked(url))),
        code: 1,
    }
}

/// Unix milliseconds as RFC 3339.
fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// Runs `queue`.
pub fn run(args: &QueueArgs) -> Outcome {
    let url = args
        .redis
        .clone()
        .or_else(|| std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let streams = Streams::with_prefix(&args.prefix).with_group(&args.group);
    let filter = match &args.command {
        QueueCommand::Replay(r) => Some(filter(r)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the runtime: {e}"),
            code: 1,
        })?;
    runtime.block_on(async {
        let unreachable = |e: proptech_events::receive::StoreError| redis_failure(&url, &e);
        let conn = stream::connect(&url).await.map_err(unreachable)?;
        match &args.command {
            QueueCommand::Stats { json } => {
                let stats = stream::stats(&conn, &streams).await.map_err(unreachable)?;
                print_stats(&stats, *json);
            }
            QueueCommand::Dead { limit, json } => {
                let letters = stream::dead_letters(&conn, &streams, *limit)
                    .await
                    .map_err(unreachable)?;
                print_dead(&letters, *json);
            }
            QueueCommand::Replay(_) => {
                let filter = filter.unwrap_or_default();
                let replayed = stream::replay(&conn, &streams, &filter)
                    .await
                    .map_err(unreachable)?;
                for r in &replayed {
                    println!(
                        "replayed {} {} {} -> {} {}",
                        Escaped(&r.letter.provider),
                        Escaped(&r.letter.event_type),
                        Escaped(&r.letter.delivery_id),
                        Escaped(&r.letter.stream),
                        r.new_entry
                    );
                }
                println!("{} dead letters replayed", replayed.len());
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn filter(args: &ReplayArgs) -> Result<ReplayFilter, Failure> {
    let mut filter = ReplayFilter::default();
    filter.provider = args.provider.map(|p| p.0.as_str().to_owned());
    filter.event_type = args.event_type.clone();
    filter.since = millis("--since", &args.since)?;
    filter.until = millis("--until", &args.until)?;
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since >= until
    {
        return Err(Failure::usage(
            "--since is not before --until: no delivery can match; swap them",
        ));
    }
    Ok(filter)
}

fn print_stats(stats: &stream::QueueStats, json: bool) {
    if json {
        let streams: Vec<serde_json::Value> = stats
            .streams
            .iter()
            .map(|s| {
                serde_json::json!({
                    "stream": s.name,
                    "length": s.length,
                    "lag": s.lag,
                    "pending": s.pending,
                    "consumers": s.consumers.iter().map(|c| serde_json::json!({
                        "name": c.name, "pending": c.pending, "idle_ms": c.idle_ms,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "streams": streams, "dead_letters": stats.dead_letters })
        );
        return;
    }
    for s in &stats.streams {
        let lag = s.lag.map_or_else(|| "?".to_owned(), |l| l.to_string());
        println!(
            "{}: {} entries, {lag} not yet read, {} pending",
            Escaped(&s.name),
            s.length,
            s.pending
        );
        for c in &s.consumers {
            println!(
                "  {}: {} pending, idle {} ms",
                Escaped(&c.name),
                c.pending,
                c.idle_ms
            );
        }
    }
    println!("dead letters: {}", stats.dead_letters);
}

fn print_dead(letters: &[stream::DeadLetter], json: bool) {
    if json {
        let list: Vec<serde_json::Value> = letters
            .iter()
            .map(|d| {
                serde_json::json!({
                    "entry": d.entry, "stream": d.stream, "original_entry": d.original_entry,
                    "provider": d.provider, "delivery_id": d.delivery_id,
                    "event_type": d.event_type, "attempts": d.attempts, "error": d.error,
                    "received_at": time(d.received_at()), "failed_at": time(d.failed_at()),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return;
    }
    for d in letters {
        println!(
            "{} {} {} {} (received {}, failed {} after {} attempts): {}",
            d.entry,
            Escaped(&d.provider),
            Escaped(&d.event_type),
            Escaped(&d.delivery_id),
            time(d.received_at()),
            time(d.failed_at()),
            d.attempts,
            Escaped(&d.error)
        );
    }
    println!("{} dead letters", letters.len());
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn a_password_in_a_redis_url_is_masked() {
        assert_eq!(
            masked("redis://:hunter2@127.0.0.1:1/0"),
            "redis://:***@127.0.0.1:1/0"
        );
        assert_eq!(
            masked("rediss://app:hunter2@host:6380"),
            "rediss://app:***@host:6380"
        );
        assert_eq!(masked("redis://app@host"), "redis://app@host");
        assert_eq!(masked("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
