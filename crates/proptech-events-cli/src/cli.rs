//! The command line: every command, its arguments and its help text with an example.

use clap::{Args, Parser, Subcommand, ValueEnum};
use proptech_events::Provider;

/// Validate, sign, send, verify and browse the webhooks of the providers this build knows.
#[derive(Debug, Parser)]
#[command(name = "proptech-events", version, about = about(), after_help = cli_help())]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check payloads against their event's JSON Schema and the typed parse.
    Validate(ValidateArgs),
    /// Print the headers a provider would send with a body, one `Name: value` a line.
    Sign(SignArgs),
    /// Post correctly signed deliveries to an endpoint.
    Send(SendArgs),
    /// Verify a captured delivery and explain precisely why it does not verify.
    Verify(VerifyArgs),
    /// List the event catalog, or show one event's fields and sample.
    Events(EventsArgs),
    /// Receive deliveries locally: verify, deduplicate and pretty-print each one.
    Listen(ListenArgs),
    /// Inspect the Redis stream consumers read: stats, dead letters, replay.
    Queue(QueueArgs),
    /// Report what observed deliveries carry that the schemas do not say: new members, enum
    /// values and event types, and required members that are missing.
    Drift(DriftArgs),
}

/// A provider, as named on the command line: any of `Provider::ALL`, by its schema name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderArg(pub Provider);

impl ValueEnum for ProviderArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<ProviderArg>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| Provider::ALL.iter().map(|p| ProviderArg(*p)).collect())
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self.0.contract().signature {
            Some(_) => self.0.display_name().to_owned(),
            None => format!("{} (no signature documented)", self.0.display_name()),
        };
        Some(clap::builder::PossibleValue::new(self.0.as_str()).help(help))
    }
}

impl From<ProviderArg> for Provider {
    fn from(p: ProviderArg) -> Self {
        p.0
    }
}

/// `validate`.
#[derive(Debug, Args)]
#[command(
    after_help = validate_help()
)]
pub struct ValidateArgs {
    /// The provider that sent the payloads.
    #[arg(long, short)]
    pub provider: ProviderArg,
    /// Payload files; `-` reads standard input (the default).
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub files: Vec<String>,
    /// Print one JSON document (a list with one entry per payload) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print the values of members the schemas mark as personal data where a message quotes
    /// them (by default they read `[redacted: <category>]`).
    #[arg(long)]
    pub show_personal_data: bool,
}

/// `sign`.
#[derive(Debug, Args)]
#[command(after_help = sign_help())]
pub struct SignArgs {
    /// The provider whose contract to sign with.
    #[arg(long, short)]
    pub provider: ProviderArg,
    /// The signing secret, in the form the provider's docs give it (see below).
    #[arg(long, short)]
    pub secret: String,
    /// The delivery id, for a provider that signs one (see below).
    #[arg(long)]
    pub id: Option<String>,
    /// The signed timestamp, Unix seconds, for a provider that signs one (see below).
    #[arg(long, allow_negative_numbers = true)]
    pub timestamp: Option<i64>,
    /// The body to sign, exactly as it will be sent (`-` for standard input).
    #[arg(value_name = "FILE|-")]
    pub file: String,
}

/// `send`.
#[derive(Debug, Args)]
#[command(
    after_help = send_help()
)]
pub struct SendArgs {
    /// The provider whose deliveries to imitate.
    #[arg(long, short)]
    pub provider: ProviderArg,
    /// The endpoint to post to (http://).
    #[arg(long, short)]
    pub url: String,
    /// The signing secret (not needed for a provider that signs nothing).
    #[arg(long, short)]
    pub secret: Option<String>,
    /// Send the documented sample of this event type (repeatable).
    #[arg(long = "event", short = 'e', value_name = "TYPE")]
    pub events: Vec<String>,
    /// Send one sample of every event type of the provider.
    #[arg(long)]
    pub all: bool,
    /// Send each delivery this many times (fresh ids each time for samples).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// How many requests are in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Body files to send as they are.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

/// `verify`.
#[derive(Debug, Args)]
#[command(
    after_help = verify_help()
)]
pub struct VerifyArgs {
    /// The provider that sent the delivery.
    #[arg(long, short)]
    pub provider: ProviderArg,
    /// The signing secret (repeatable during a rotation; never printed).
    #[arg(long, short)]
    pub secret: Vec<String>,
    /// A captured header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "Name: value")]
    pub headers: Vec<String>,
    /// The clock to check the timestamp window against, Unix seconds (default: now).
    #[arg(long)]
    pub now: Option<i64>,
    /// The window, in seconds either way (default: the documented 300).
    #[arg(long)]
    pub tolerance: Option<u64>,
    /// The captured body, byte for byte (`-` for standard input).
    #[arg(value_name = "FILE|-")]
    pub file: String,
}

/// `events`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = events_help()
)]
pub struct EventsArgs {
    /// Only this provider's events.
    #[arg(long, short)]
    pub provider: Option<ProviderArg>,
    /// Only events whose type or category contains this text (any case).
    #[arg(value_name = "SEARCH")]
    pub search: Option<String>,
    /// `show TYPE`.
    #[command(subcommand)]
    pub show: Option<EventsCommand>,
}

/// `events show`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print an event's fields (with their documentation) and its sample.
    #[command(
        after_help = events_show_help()
    )]
    Show {
        /// The provider, when several send an event of that type.
        #[arg(long, short)]
        provider: Option<ProviderArg>,
        /// The event type.
        #[arg(value_name = "TYPE")]
        event_type: String,
    },
}

/// `listen`.
#[derive(Debug, Args)]
#[command(after_help = listen_help())]
pub struct ListenArgs {
    /// The address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// A provider's signing secret, `provider=secret` (repeatable).
    #[arg(long = "secret", short = 's', value_name = "PROVIDER=SECRET")]
    pub secrets: Vec<String>,
    /// Only these providers (repeatable; default: all four).
    #[arg(long = "provider", short = 'p')]
    pub providers: Vec<ProviderArg>,
    /// Use the test secrets printed in the providers' docs for any provider without one.
    #[arg(long)]
    pub test_secrets: bool,
    /// The in-memory idempotency store's size in bytes for signed deliveries (unverified ones
    /// get a quarter as much again); a full store answers 503 with Retry-After.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub store_bytes: usize,
    /// Seconds a client has to send a request's headers.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's whole body.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub body_timeout: u64,
    /// The most connections served at once.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Print deliveries whole. By default every member the schemas mark as personal data
    /// (names, emails, phone numbers, addresses, messages) is printed as
    /// `[redacted: <category>, <length>]`.
    #[arg(long)]
    pub show_personal_data: bool,
}

/// The providers that sign their deliveries.
fn signing() -> impl Iterator<Item = Provider> {
    Provider::ALL
        .into_iter()
        .filter(|p| p.contract().signature.is_some())
}

/// The provider the examples use: the first that signs and documents a test secret, or else the
/// first; with the event type of its first embedded sample.
fn example() -> Option<(Provider, &'static str, &'static str)> {
    let provider = signing()
        .find(|p| p.contract().test_secret.is_some())
        .or_else(|| Provider::ALL.first().copied())?;
    let event = provider
        .events()
        .iter()
        .find(|e| crate::catalog::sample(provider, e.event_type).is_some())?;
    let secret = provider.contract().test_secret.unwrap_or("<secret>");
    Some((provider, event.event_type, secret))
}

/// The top-level summary: the providers this build knows, by name.
fn about() -> String {
    let names: Vec<&str> = Provider::ALL.iter().map(|p| p.display_name()).collect();
    format!(
        "Validate, sign, send, verify and browse the webhooks of {}.",
        names.join(", ")
    )
}

/// An example block, or nothing in a build without providers.
fn examples(lines: Option<Vec<String>>) -> String {
    lines
        .map(|lines| format!("Example:\n  {}", lines.join("\n  ")))
        .unwrap_or_default()
}

fn cli_help() -> String {
    examples(example().map(|(p, event, secret)| {
        vec![
            format!("proptech-events events --provider {p}"),
            format!(
                "proptech-events send --provider {p} --url http://127.0.0.1:3000/webhooks/{p} \
                 --secret {secret} --event {event}"
            ),
        ]
    }))
}

fn validate_help() -> String {
    let lines = example().map(|(p, _, _)| {
        vec![
            format!("proptech-events validate --provider {p} delivery.json"),
            format!("pbpaste | proptech-events validate --provider {p} --json -"),
        ]
    });
    format!(
        "Exit status: 0 every payload is valid, 1 one is invalid, 2 an input is unusable \
         (unreadable, not JSON, no or unknown event type).\n\n{}",
        examples(lines)
    )
}

fn send_help() -> String {
    let lines = example().map(|(p, event, secret)| {
        let url = format!("http://127.0.0.1:3000/webhooks/{p}");
        vec![
            format!("proptech-events send --provider {p} --url {url} \\\n    --secret {secret} --event {event}"),
            format!(
                "proptech-events send --provider {p} --url {url} \\\n    --secret {secret} --all --repeat 10 --concurrency 8"
            ),
        ]
    });
    format!(
        "Each --event takes the documented sample of that event type with fresh ids and \
         timestamps; each FILE is sent as it is. Exit status: 0 every answer was 2xx, 1 \
         otherwise.\n\n{}",
        examples(lines)
    )
}

fn verify_help() -> String {
    let lines = example().and_then(|(p, _, secret)| {
        let recipe = p.contract().signature.as_ref()?;
        let names = &recipe.headers[0];
        let mut line = format!(
            "proptech-events verify --provider {p} --secret {secret} \\\n    --header '{}: {}…'",
            names.signature, recipe.prefix
        );
        if let Some(name) = names.timestamp {
            line.push_str(&format!(" --header '{name}: 1745339401'"));
        }
        if let Some(name) = names.id {
            line.push_str(&format!(" \\\n    --header '{name}: <delivery id>'"));
        }
        line.push_str(" --now 1745339401 body.json");
        Some(vec![line])
    });
    format!(
        "Exit status: 0 verified, 1 rejected (the reason is explained), 2 unusable input.\n\n{}",
        examples(lines)
    )
}

fn events_help() -> String {
    examples(example().map(|(p, event, _)| {
        vec![
            format!(
                "proptech-events events --provider {p} {}",
                event.split('.').next().unwrap_or(event)
            ),
            format!("proptech-events events show {event}"),
        ]
    }))
}

fn events_show_help() -> String {
    examples(example().map(|(p, event, _)| {
        vec![format!(
            "proptech-events events show --provider {p} {event}"
        )]
    }))
}

/// `sign`'s help: where each provider's id and timestamp come from, read from its contract.
fn sign_help() -> String {
    let mut facts = Vec::new();
    for p in Provider::ALL {
        let c = p.contract();
        let name = p.display_name();
        let Some(recipe) = &c.signature else {
            facts.push(format!(
                "{name} documents no signature: only Content-Type is printed."
            ));
            continue;
        };
        let headers = &recipe.headers[0];
        let from_body: Vec<&str> = [
            c.id_member.filter(|_| headers.id.is_some()),
            c.timestamp_member.filter(|_| headers.timestamp.is_some()),
        ]
        .into_iter()
        .flatten()
        .collect();
        facts.push(
            match (from_body.as_slice(), headers.id, headers.timestamp) {
                ([], None, None) => format!("{name} signs the body alone."),
                ([], _, _) => {
                    format!("{name} makes a fresh msg_ id and uses the current time unless given.")
                }
                ([member], _, _) => {
                    format!("{name} takes {member} from the body (the header must equal it).")
                }
                (members, _, _) => format!(
                    "{name} takes {} from the body (the headers must equal them).",
                    members.join(" and ")
                ),
            },
        );
    }
    let example = signing()
        .find_map(|p| Some((p, p.contract().test_secret?)))
        .map(|(p, secret)| {
            format!(
                "\n\nExample:\n  proptech-events sign --provider {p} --secret {secret} body.json > headers.txt\n  curl http://127.0.0.1:3000/webhooks/{p} -H @headers.txt --data-binary @body.json"
            )
        })
        .unwrap_or_default();
    format!("{}{example}", facts.join(" "))
}

/// `listen`'s help: its routes and where each signing provider's secrets come from.
fn listen_help() -> String {
    let routes: Vec<String> = Provider::ALL
        .iter()
        .map(|p| format!("/webhooks/{p}"))
        .collect();
    let variables: Vec<String> = signing()
        .map(|p| format!("{}_SECRET", p.as_str().to_uppercase()))
        .collect();
    let example = signing()
        .next()
        .map(|p| {
            format!(
                "\n  proptech-events listen --addr 0.0.0.0:8080 --secret {p}=<secret> --provider {p}"
            )
        })
        .unwrap_or_default();
    format!(
        "Routes: POST {}. Secrets come from --secret or {} (comma-separated during a rotation); \
         --test-secrets uses the documented test secrets, which anyone can sign with.\n\n\
         Example:\n  proptech-events listen --test-secrets{example}",
        routes.join(", "),
        variables.join(", ")
    )
}

fn queue_help() -> String {
    let lines = example().map(|(p, event, _)| {
        vec![
            "proptech-events queue stats --redis redis://127.0.0.1:6379".to_owned(),
            "proptech-events queue dead --json".to_owned(),
            format!(
                "proptech-events queue replay --provider {p} --event {event} --since \
                 2026-12-01T00:00:00Z"
            ),
        ]
    });
    format!(
        "The streams are the ones `RedisStreamSink` appends to and `Consumer` reads \
         (proptech_events::receive::stream). Replay moves each selected dead letter back to its \
         stream once; the consumers handle it again as a new entry.\n\n{}",
        examples(lines)
    )
}

fn drift_help() -> String {
    let lines = example().map(|(p, _, _)| {
        vec![
            format!("proptech-events drift --provider {p} captured/*.json"),
            "proptech-events drift --stream --redis redis://127.0.0.1:6379 --json > drift.json"
                .to_owned(),
            "cargo xtask drift apply drift.json   # in the proptech-events workspace".to_owned(),
        ]
    });
    format!(
        "Each delivery is judged against its event's schema with every described object closed: \
         a member no schema names, a value outside an enum, a missing required member or an event \
         type this version does not know is counted with the first and last time it was seen \
         (a file's modification time, a stream entry's time). The report quotes one example \
         value per new member: it holds delivery data, so keep it where the deliveries are \
         kept.\n\n{}",
        examples(lines)
    )
}

/// `drift`.
#[derive(Debug, Args)]
#[command(after_help = drift_help())]
pub struct DriftArgs {
    /// The provider that sent the files.
    #[arg(long, short, required_unless_present = "stream")]
    pub provider: Option<ProviderArg>,
    /// Delivery bodies, one per file; `-` reads standard input.
    #[arg(
        value_name = "FILE|-",
        conflicts_with = "stream",
        required_unless_present = "stream"
    )]
    pub files: Vec<String>,
    /// Read the Redis streams the receivers append to (signed and unverified) instead of files.
    #[arg(long)]
    pub stream: bool,
    /// The Redis holding the streams (default: `REDIS_URL`, else `redis://127.0.0.1:6379`).
    #[arg(long, value_name = "URL", requires = "stream")]
    pub redis: Option<String>,
    /// The streams' prefix.
    #[arg(long, default_value = "proptech:events", value_name = "PREFIX")]
    pub prefix: String,
    /// The most stream entries read.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub limit: usize,
    /// Print the report as one JSON document (what `cargo xtask drift apply` reads).
    #[arg(long)]
    pub json: bool,
}

/// `queue`.
#[derive(Debug, Args)]
#[command(after_help = queue_help())]
pub struct QueueArgs {
    /// The Redis holding the streams (default: `REDIS_URL`, else `redis://127.0.0.1:6379`).
    #[arg(long, global = true, value_name = "URL")]
    pub redis: Option<String>,
    /// The streams' prefix: the signed stream, then `:unverified` and `:dead`.
    #[arg(
        long,
        global = true,
        default_value = "proptech:events",
        value_name = "PREFIX"
    )]
    pub prefix: String,
    /// The consumer group.
    #[arg(
        long,
        global = true,
        default_value = "proptech-consumers",
        value_name = "GROUP"
    )]
    pub group: String,
    /// What to do.
    #[command(subcommand)]
    pub command: QueueCommand,
}

/// `queue` subcommands.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Stream lengths, entries not yet read, pending entries per consumer, dead letters.
    Stats {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the dead letters, oldest first, with their last error.
    Dead {
        /// The most dead letters listed.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Move dead letters back to the stream they came from, each once; consumers handle them
    /// again as new entries.
    Replay(ReplayArgs),
}

/// `queue replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Only this provider's dead letters.
    #[arg(long, short)]
    pub provider: Option<ProviderArg>,
    /// Only this event type.
    #[arg(long = "event", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only deliveries received at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only deliveries received before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}
