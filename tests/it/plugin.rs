//! A strategy defined outside the crate, through the public library API
//! only: its own payload, record kinds, byte counts and config section.
//! It proves the plug-in is open (README: "Adding a strategy" walks
//! through this file): `push` runs through the library, and through the
//! whole command line of a binary built with `meshsync::cli::main_with`
//! (run, compare, a sweep, check, plot, schema, strategies).
//!
//! `push` is a deliberately simple protocol: a node pushes every message it
//! holds to every peer when the link comes up, and each new message to
//! every linked peer; a PUSH record is a fixed header plus the body. It
//! implements only what a strategy must: four payload methods, four
//! strategy methods, the node.

use meshsync::engine::{Registry, RunError};
use meshsync::node::store::Store;
use meshsync::node::{
    ConfigError, Node, NodeContext, Outbox, PerKind, RecordKind, Strategy, WirePayload,
    MAX_RECORD_KINDS,
};
use meshsync::scenario::{Scenario, ScenarioError};
use meshsync::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use meshsync::sim::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The payload: messages pushed in full, each with a fixed header.
#[derive(Clone, Debug)]
struct Push {
    header_bytes: u32,
    messages: Vec<MessageRef>,
}

const KINDS: &[RecordKind] = &[RecordKind {
    name: "push",
    listed_when_zero: true,
}];

fn record_len(header: u32, m: &MessageRef) -> usize {
    header as usize + m.body_len as usize
}

impl WirePayload for Push {
    fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
    fn encoded_len_by_kind(&self) -> PerKind {
        let mut out = [0; MAX_RECORD_KINDS];
        out[0] = self
            .messages
            .iter()
            .map(|m| record_len(self.header_bytes, m) as u64)
            .sum();
        out
    }
    fn count_by_kind(&self) -> PerKind {
        let mut out = [0; MAX_RECORD_KINDS];
        out[0] = self.messages.len() as u64;
        out
    }
    fn messages(&self) -> &[MessageRef] {
        &self.messages
    }
}

const DEFAULT_HEADER: u32 = 48;

/// `strategy_config.push`.
#[derive(Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PushConfig {
    /// Bytes of header per pushed message (default 48).
    #[serde(default = "default_header")]
    header_bytes: u32,
}

fn default_header() -> u32 {
    DEFAULT_HEADER
}

struct PushStrategy;

impl Strategy for PushStrategy {
    type Payload = Push;
    type Config = PushConfig;
    fn name(&self) -> &str {
        "push"
    }
    fn about(&self) -> &str {
        "push every held message on contact (a test strategy)"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        KINDS
    }
    fn validate(&self, c: &PushConfig) -> Result<(), ConfigError> {
        if c.header_bytes == 0 {
            return Err(ConfigError::at("header_bytes", "expected at least 1"));
        }
        Ok(())
    }
    fn build(&self, c: &PushConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Push>> {
        Box::new(PushNode {
            header_bytes: c.header_bytes,
            store: Store::new(ctx.delivery, ctx.groups),
            linked: BTreeSet::new(),
            held: Vec::new(),
        })
    }
}

struct PushNode {
    header_bytes: u32,
    store: Store,
    linked: BTreeSet<NodeId>,
    held: Vec<MessageRef>,
}

impl PushNode {
    fn push(&self, to: NodeId, messages: Vec<MessageRef>, out: &mut Outbox<Push>) {
        let header_bytes = self.header_bytes;
        out.send(
            to,
            Push {
                header_bytes,
                messages,
            },
        );
    }
}

impl Node<Push> for PushNode {
    fn handle_link_up(&mut self, _: SimTime, peer: NodeId, out: &mut Outbox<Push>) {
        self.linked.insert(peer);
        self.push(peer, self.held.clone(), out);
    }
    fn handle_link_down(&mut self, _: SimTime, peer: NodeId, _: &mut Outbox<Push>) {
        self.linked.remove(&peer);
    }
    fn handle_payload(&mut self, now: SimTime, _: NodeId, p: Push, out: &mut Outbox<Push>) {
        for m in p.messages {
            if !self.store.holds(m.id) {
                self.held.push(m.clone());
                for d in self.store.receive(now, m) {
                    out.delivered(&d);
                }
            }
        }
    }
    fn handle_timeout(&mut self, _: SimTime, _: &mut Outbox<Push>) {}
    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }
    fn append(&mut self, _: SimTime, msg: MessageRef, out: &mut Outbox<Push>) {
        self.store.append_own(msg.clone());
        self.held.push(msg.clone());
        for &p in &self.linked {
            self.push(p, vec![msg.clone()], out);
        }
    }
    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }
}

const WORLD: &str = r#"{
  "name": "plugin",
  "duration_s": 600,
  "nodes": 4,
  "strategy": "push",
  "link": { "latency_ms": { "fixed": 50 }, "overhead_bytes": 10 },
  "churn_overrides": [ { "nodes": [3], "churn": { "kind": "schedule", "online": [[300, 600]] } } ],
  "groups": [ { "name": "g", "members": "all", "rate_per_hour": 30 } ],
  "strategy_config": { "push": { "header_bytes": 16 } }
}"#;

fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register(PushStrategy);
    r
}

#[test]
fn an_outside_strategy_runs_and_is_measured_by_its_own_kinds() {
    let reg = registry();
    let s = Scenario::parse_with(WORLD, "plugin.json", &reg).unwrap();
    let r = reg.run_scenario(&s, "push", 1).unwrap();
    let sum = &r.summary;
    assert_eq!(sum.strategy, "push");
    assert!(sum.messages_created > 0);
    assert_eq!(sum.deliveries, sum.deliveries_expected, "push delivers all");
    assert_eq!(sum.causal_violations, 0);
    let kinds: Vec<&str> = sum.records_sent.iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["push"]);
    let parts: Vec<&str> = sum.bytes_by_record.iter().map(|(k, _)| k).collect();
    assert_eq!(parts, ["push", "overhead", "mailserver"]);
    // Every byte is accounted for: 16 bytes of header per pushed record
    // plus the bodies, and 10 bytes of overhead per payload.
    assert_eq!(sum.bytes_by_record.total(), sum.bytes_sent_total);
    assert_eq!(sum.bytes_by_record["overhead"], 10 * sum.payloads_sent);
    let bodies: u64 = r.messages.iter().map(|m| u64::from(m.body_len)).sum();
    assert!(sum.bytes_by_record["push"] >= 16 * sum.records_sent["push"] + bodies);
    // The node that comes online late is caught up by pushes on link-up.
    assert!(r.deliveries.iter().any(|d| d.recipient == 3));
}

#[test]
fn its_config_section_is_checked_with_json_paths() {
    let reg = registry();
    let bad = WORLD.replace("\"header_bytes\": 16", "\"header_bytes\": 0");
    match Scenario::parse_with(&bad, "plugin.json", &reg) {
        Err(ScenarioError::Invalid { path, message, .. }) => {
            assert_eq!(path, "strategy_config.push.header_bytes");
            assert_eq!(message, "expected at least 1");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
    let unknown = WORLD.replace("\"header_bytes\": 16", "\"header\": 16");
    let e = Scenario::parse_with(&unknown, "plugin.json", &reg).unwrap_err();
    assert!(e.to_string().contains("unknown field `header`"), "{e}");
    // Parsed once, typed, with its defaults recorded.
    let s = Scenario::parse_with(&WORLD.replace("16", "17"), "plugin.json", &reg).unwrap();
    assert_eq!(
        s.strategy_config["push"].effective(),
        &serde_json::json!({"header_bytes": 17})
    );
    assert_eq!(
        s.strategy_config["push"]
            .get::<PushConfig>()
            .unwrap()
            .header_bytes,
        17
    );
}

#[test]
fn the_builtin_registry_does_not_know_it() {
    let e = Scenario::parse(WORLD, "plugin.json").unwrap_err();
    assert!(e.to_string().contains("unknown strategy \"push\""), "{e}");
    let s = Scenario::parse_with(WORLD, "plugin.json", &registry()).unwrap();
    assert!(matches!(
        Registry::builtin().run_scenario(&s, "push", 1),
        Err(RunError::UnknownStrategy(_))
    ));
}

#[test]
fn a_scenario_it_cannot_run_is_refused_before_it_starts() {
    // `push` does not say how its wire carries a message alone
    // (`WirePayload::carrying`), which The ONE's link model needs.
    let one = WORLD.replace(
        "\"overhead_bytes\": 10 }",
        "\"overhead_bytes\": 10, \"one\": { \"transmit_bytes_per_s\": 1000 } }, \"transport\": { \"presence\": \"known\" }",
    );
    let reg = registry();
    let s = Scenario::parse_with(&one, "plugin.json", &reg).unwrap();
    match reg.run_scenario(&s, "push", 1) {
        Err(RunError::Unsupported { strategy, reason }) => {
            assert_eq!(strategy, "push");
            assert!(reason.contains("link.one"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn same_seed_same_bytes() {
    let reg = registry();
    let s = Scenario::parse_with(WORLD, "plugin.json", &reg).unwrap();
    let a = reg.run_scenario(&s, "push", 7).unwrap();
    let b = reg.run_scenario(&s, "push", 7).unwrap();
    assert_eq!(a.summary_json(), b.summary_json());
    assert_eq!(a.deliveries, b.deliveries);
}

/// Runs the command line of a binary built with `main_with(registry())`.
fn cli(args: &[&str]) -> i32 {
    let argv = std::iter::once("meshsync").chain(args.iter().copied());
    meshsync::cli::main_from(&registry(), argv)
}

#[test]
fn the_whole_command_line_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).display().to_string();
    std::fs::write(d("plugin.json"), WORLD).unwrap();
    let sweep = serde_json::json!({
        "name": "push-sweep", "scenario": "plugin.json",
        "grid": {"strategy_config.push.header_bytes": [8, 64]},
        "strategies": ["push", "mvds"], "seeds": 2
    });
    std::fs::write(d("sweep.json"), sweep.to_string()).unwrap();
    assert_eq!(cli(&["validate", &d("plugin.json")]), 0);
    assert_eq!(
        cli(&["run", &d("plugin.json"), "--out", &d("run"), "-q"]),
        0
    );
    let effective: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d("run/effective-scenario.json")).unwrap())
            .unwrap();
    assert_eq!(effective["strategy_config"]["push"]["header_bytes"], 16);
    let compare = [
        "compare",
        &d("plugin.json"),
        "--strategies",
        "push,bsp-interactive",
        "--seeds",
        "2",
    ];
    assert_eq!(
        cli(&[&compare[..], &["--out", &d("cmp"), "-q"]].concat()),
        0
    );
    assert_eq!(
        cli(&[&compare[..], &["--out", &d("cmp2"), "-q"]].concat()),
        0
    );
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d("cmp/comparison.json")).unwrap()).unwrap();
    assert_eq!(
        c["strategies"],
        serde_json::json!(["push", "bsp-interactive"])
    );
    assert_eq!(cli(&["check", &d("cmp2"), "--baseline", &d("cmp")]), 0);
    assert_eq!(
        cli(&["sweep", &d("sweep.json"), "--out", &d("sw"), "-q"]),
        0
    );
    let points = std::fs::read_to_string(d("sw/points.csv")).unwrap();
    assert!(points.contains("push"), "{points}");
    std::fs::remove_file(d("sw/sweep_bytes_per_delivery.png")).unwrap();
    assert_eq!(cli(&["plot", &d("sw")]), 0);
    assert!(dir.path().join("sw/sweep_bytes_per_delivery.png").exists());
    assert_eq!(cli(&["plot", &d("cmp")]), 0);
    // The built-in binary refuses what it does not know, with exit 2.
    let builtin = |args: &[&str]| {
        let argv = std::iter::once("meshsync").chain(args.iter().copied());
        meshsync::cli::main_from(&Registry::builtin(), argv)
    };
    assert_eq!(builtin(&["validate", &d("plugin.json")]), 2);
    assert_eq!(
        builtin(&["run", &d("plugin.json"), "--strategy", "push", "-q"]),
        2
    );
}

#[test]
fn the_schema_describes_its_section() {
    let text =
        meshsync::cli::schema_text(meshsync::cli::SchemaKind::Scenario, &registry()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let push = &schema["properties"]["strategy_config"]["properties"]["push"];
    assert_eq!(push["properties"]["header_bytes"]["type"], "integer");
    // Strategy names are the first choice of `anyOf` (the second: a file
    // with `variants`, which may name one of them).
    assert!(schema["anyOf"][0]["properties"]["strategy"]["enum"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("push")));
}
