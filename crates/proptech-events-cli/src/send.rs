//! `send`: post correctly signed deliveries (documented samples with fresh ids, or files as they
//! are), several at once if asked, and summarise the answers and their latency.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use proptech_events::Provider;
use tokio::sync::Semaphore;

use crate::catalog;
use crate::cli::SendArgs;
use crate::style::{self, BAD, BOLD, GOOD};
use crate::{Failure, Outcome};

/// What one delivery is made from.
#[derive(Debug, Clone)]
enum Source {
    /// The documented sample of an event type, with fresh ids and timestamps each time.
    Sample(String),
    /// A file's bytes, as they are.
    File(String, Arc<Vec<u8>>),
}

/// The answer to one delivery.
struct Answer {
    label: String,
    status: Result<(u16, String), String>,
    latency: Duration,
}

/// Runs above this many deliveries show a progress bar (on a terminal).
const PROGRESS_FROM: usize = 50;

/// Runs `send`.
pub fn run(args: &SendArgs) -> Outcome {
    let provider = Provider::from(args.provider);
    if args.url.starts_with("https://") {
        return Err(Failure::usage(
            "send speaks plain http:// only; post to the receiver's local http:// address (behind your TLS proxy or tunnel)",
        ));
    }
    if !args.url.starts_with("http://") {
        return Err(Failure::usage(format!(
            "--url {:?} is not an http:// URL; pass the endpoint, e.g. http://127.0.0.1:3000/webhooks/{provider}",
            args.url
        )));
    }
    if provider.contract().signature.is_some() && args.secret.is_none() {
        return Err(Failure::usage(format!(
            "{provider} signs its deliveries: pass --secret with the endpoint's signing secret"
        )));
    }
    let mut sources = Vec::new();
    if args.all {
        sources.extend(
            catalog::events(provider)
                .iter()
                .map(|e| Source::Sample(e.event_type.to_owned())),
        );
    }
    for event_type in &args.events {
        catalog::event(provider, event_type)?;
        sources.push(Source::Sample(event_type.clone()));
    }
    for file in &args.files {
        sources.push(Source::File(
            file.clone(),
            Arc::new(crate::read_input(file)?),
        ));
    }
    if sources.is_empty() {
        return Err(Failure::usage(
            "nothing to send: pass --event TYPE, --all or a FILE",
        ));
    }
    let mut jobs = Vec::new();
    for _ in 0..args.repeat {
        jobs.extend(sources.iter().cloned());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    let answers = runtime.block_on(send_all(provider, args, jobs))?;
    summarise(&answers)
}

async fn send_all(
    provider: Provider,
    args: &SendArgs,
    jobs: Vec<Source>,
) -> Result<Vec<Answer>, Failure> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the HTTP client: {e}")))?;
    let bar = if jobs.len() >= PROGRESS_FROM {
        let bar = ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let permits = Arc::new(Semaphore::new(args.concurrency as usize));
    let mut tasks = tokio::task::JoinSet::new();
    for source in jobs {
        // Bodies and signatures are made just before sending, so timestamps are fresh.
        let (label, body, headers) = match &source {
            Source::Sample(event_type) => {
                let (body, fresh) = catalog::fresh_sample(provider, event_type)?;
                let headers = crate::sign::headers(
                    provider,
                    args.secret.as_deref(),
                    Some(&fresh.id),
                    Some(fresh.timestamp),
                    &body,
                )?;
                (format!("{event_type} {}", fresh.id), body, headers)
            }
            Source::File(path, bytes) => {
                let headers =
                    crate::sign::headers(provider, args.secret.as_deref(), None, None, bytes)?;
                (path.clone(), bytes.as_ref().clone(), headers)
            }
        };
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .map_err(|e| Failure::usage(e.to_string()))?;
        let client = client.clone();
        let url = args.url.clone();
        let bar = bar.clone();
        tasks.spawn(async move {
            let mut request = client.post(&url).body(body);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let started = Instant::now();
            let status = match request.send().await {
                Ok(response) => {
                    let code = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    Ok((code, text))
                }
                Err(e) => Err(describe(&e)),
            };
            let answer = Answer {
                label,
                status,
                latency: started.elapsed(),
            };
            bar.suspend(|| print_answer(provider, &answer));
            bar.inc(1);
            drop(permit);
            answer
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        // A task that did not finish still counts, as a delivery without an answer.
        answers.push(done.unwrap_or_else(|e| Answer {
            label: "(a delivery)".to_owned(),
            status: Err(format!("the request task failed: {e}")),
            latency: Duration::ZERO,
        }));
    }
    bar.finish_and_clear();
    Ok(answers)
}

/// One line for a transport error, with what to check.
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        format!("cannot connect ({e}): is the endpoint listening? (`proptech-events listen`)")
    } else if e.is_timeout() {
        "no answer within 30 s".to_owned()
    } else {
        e.to_string()
    }
}

fn print_answer(provider: Provider, answer: &Answer) {
    let ms = answer.latency.as_secs_f64() * 1000.0;
    match &answer.status {
        Ok((code, _)) if (200..300).contains(code) => anstream::println!(
            "{} {provider} {} {ms:.1} ms",
            style::paint(GOOD, code),
            answer.label
        ),
        Ok((code, body_text)) => {
            let short: String = body_text.chars().take(200).collect();
            anstream::println!(
                "{} {provider} {} {ms:.1} ms {short}",
                style::paint(BAD, code),
                answer.label
            );
        }
        Err(why) => anstream::println!(
            "{} {provider} {}: {why}",
            style::paint(BAD, "error"),
            answer.label
        ),
    }
}

/// The value at quantile `q` of sorted `values` (nearest rank).
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn summarise(answers: &[Answer]) -> Outcome {
    let ok = answers
        .iter()
        .filter(|a| matches!(a.status, Ok((c, _)) if (200..300).contains(&c)))
        .count();
    let answered = answers.iter().filter(|a| a.status.is_ok()).count();
    let failed = answers.len() - answered;
    let mut latencies: Vec<Duration> = answers
        .iter()
        .filter(|a| a.status.is_ok())
        .map(|a| a.latency)
        .collect();
    latencies.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    anstream::println!(
        "{} sent {}, 2xx {ok}, non-2xx {}, no answer {failed}; latency p50 {}, p90 {}, p99 {}, max {}",
        style::paint(BOLD, "summary:"),
        answers.len(),
        answered - ok,
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    Ok(if ok == answers.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
