//! A strategy defined outside the crate, through the public library API
//! only: its own payload, record kinds, byte counts and config section.
//! It proves the plug-in is open (README: "Adding a strategy" walks
//! through this file).
//!
//! `push` is a deliberately simple protocol: a node pushes every message it
//! holds to every peer when the link comes up, and each new message to
//! every linked peer; a PUSH record is a fixed header plus the body.

use meshsync::engine::{Registry, RunError};
use meshsync::node::store::Store;
use meshsync::node::{
    ConfigError, Node, NodeContext, Outbox, PerKind, RecordKind, Strategy, WirePayload,
    MAX_RECORD_KINDS,
};
use meshsync::scenario::{Scenario, ScenarioError};
use meshsync::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use meshsync::sim::time::SimTime;
use serde::Deserialize;
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
    fn take_messages(&mut self) -> Vec<MessageRef> {
        std::mem::take(&mut self.messages)
    }
    fn message_record_len(m: &MessageRef) -> usize {
        record_len(DEFAULT_HEADER, m)
    }
    fn carrying(messages: Vec<MessageRef>) -> Self {
        Push {
            header_bytes: DEFAULT_HEADER,
            messages,
        }
    }
}

const DEFAULT_HEADER: u32 = 48;

/// `strategy_config.push`.
#[derive(Debug, Deserialize)]
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
    let s = Scenario::parse_with(WORLD, "plugin.json", reg.catalog()).unwrap();
    let r = reg.run(&s, "push", 1).unwrap();
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
    match Scenario::parse_with(&bad, "plugin.json", reg.catalog()) {
        Err(ScenarioError::Invalid { path, message, .. }) => {
            assert_eq!(path, "strategy_config.push.header_bytes");
            assert_eq!(message, "expected at least 1");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
    let unknown = WORLD.replace("\"header_bytes\": 16", "\"header\": 16");
    let e = Scenario::parse_with(&unknown, "plugin.json", reg.catalog()).unwrap_err();
    assert!(e.to_string().contains("unknown field `header`"), "{e}");
}

#[test]
fn the_builtin_catalog_does_not_know_it() {
    let e = Scenario::parse(WORLD, "plugin.json").unwrap_err();
    assert!(e.to_string().contains("unknown strategy \"push\""), "{e}");
    let s = Scenario::parse_with(WORLD, "plugin.json", registry().catalog()).unwrap();
    assert!(matches!(
        Registry::builtin().run(&s, "push", 1),
        Err(RunError::UnknownStrategy(_))
    ));
}

#[test]
fn same_seed_same_bytes() {
    let reg = registry();
    let s = Scenario::parse_with(WORLD, "plugin.json", reg.catalog()).unwrap();
    let a = reg.run(&s, "push", 7).unwrap();
    let b = reg.run(&s, "push", 7).unwrap();
    assert_eq!(a.summary_json(), b.summary_json());
    assert_eq!(a.deliveries, b.deliveries);
}
