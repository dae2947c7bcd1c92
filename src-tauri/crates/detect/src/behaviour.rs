//! Patterns across a session rather than in one action: credential access followed by egress, bursts of
//! actions, a new destination late in a session, repeated denials, and a decaying behavioural score.
//!
//! There is no clock here: every [`Observation`] carries its own time, in order.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::command::{Category, Finding};
use crate::urls;

/// Thresholds and windows. The defaults are documented on each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BehaviourConfig {
    /// Egress within this long after a credential-access finding is an anomaly. Default 10 minutes.
    pub exfil_window_ms: u64,
    /// The window for bursts. Default 60 s.
    pub burst_window_ms: u64,
    /// More than this many observations within `burst_window_ms` is a burst. Default 30.
    pub burst_threshold: usize,
    /// Once this many distinct destination hosts were seen, each new one is an anomaly. Default 3.
    pub new_destination_after: usize,
    /// The window for repeated denials. Default 10 minutes.
    pub denial_window_ms: u64,
    /// This many denials within `denial_window_ms` is an anomaly. Default 3.
    pub denial_threshold: usize,
    /// Half-life of the behavioural score. Default 5 minutes.
    pub half_life_ms: u64,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        Self {
            exfil_window_ms: 10 * 60_000,
            burst_window_ms: 60_000,
            burst_threshold: 30,
            new_destination_after: 3,
            denial_window_ms: 10 * 60_000,
            denial_threshold: 3,
            half_life_ms: 5 * 60_000,
        }
    }
}

/// One action of the agent, with what the detectors found in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub at_ms: u64,
    pub findings: Vec<Finding>,
    /// The host (or URL) the action talks to, if any.
    pub destination: Option<String>,
    /// Whether the action was denied by policy or a human.
    pub denied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnomalyKind {
    /// Credential access followed by egress or exfiltration within the window.
    CredentialThenEgress,
    Burst,
    NewDestination,
    RepeatedDenials,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub detail: String,
    /// 0–100.
    pub score: u8,
    pub at_ms: u64,
}

/// The behaviour of one session, fed observations in order.
#[derive(Debug, Clone, Default)]
pub struct SessionBehaviour {
    config: BehaviourConfig,
    anomalies: Vec<Anomaly>,
    recent: VecDeque<u64>,
    denials: VecDeque<u64>,
    last_credential: Option<u64>,
    hosts: BTreeSet<String>,
    score: f64,
    score_at: u64,
    last_at: u64,
}

impl SessionBehaviour {
    pub fn new(config: BehaviourConfig) -> Self {
        Self { config, ..Self::default() }
    }

    pub fn config(&self) -> &BehaviourConfig {
        &self.config
    }

    /// Every anomaly so far, in order.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// Records an observation and returns the anomalies it raised. An observation earlier than the last one is
    /// treated as happening at the same time as the last one.
    pub fn observe(&mut self, obs: Observation) -> Vec<Anomaly> {
        let at = obs.at_ms.max(self.last_at);
        self.last_at = at;
        let mut new = Vec::new();

        // Egress after credential access.
        let egress = obs.destination.is_some() || obs.findings.iter().any(|f| f.category == Category::Exfiltration);
        if let Some(t) = self.last_credential
            && egress
            && at.saturating_sub(t) <= self.config.exfil_window_ms
        {
            let dest = obs.destination.clone().unwrap_or_else(|| "exfiltration finding".to_owned());
            new.push(Anomaly {
                kind: AnomalyKind::CredentialThenEgress,
                detail: format!("egress to {dest} {} s after credential access", at.saturating_sub(t) / 1000),
                score: 85,
                at_ms: at,
            });
        }
        if obs.findings.iter().any(|f| f.category == Category::CredentialAccess) {
            self.last_credential = Some(at);
        }

        // Bursts: report once when the count first exceeds the threshold.
        self.recent.push_back(at);
        while self.recent.front().is_some_and(|&t| at.saturating_sub(t) > self.config.burst_window_ms) {
            self.recent.pop_front();
        }
        if self.recent.len() == self.config.burst_threshold + 1 {
            new.push(Anomaly {
                kind: AnomalyKind::Burst,
                detail: format!("{} actions within {} s", self.recent.len(), self.config.burst_window_ms / 1000),
                score: 50,
                at_ms: at,
            });
        }

        // New destinations once the session has an established set.
        if let Some(d) = &obs.destination {
            let host = if d.contains("://") { urls::url_host(d).1 } else { d.trim().to_ascii_lowercase() };
            if !host.is_empty() && !self.hosts.contains(&host) {
                if self.hosts.len() >= self.config.new_destination_after {
                    new.push(Anomaly {
                        kind: AnomalyKind::NewDestination,
                        detail: format!("first contact with {host} after {} known hosts", self.hosts.len()),
                        score: 40,
                        at_ms: at,
                    });
                }
                self.hosts.insert(host);
            }
        }

        // Repeated denials: report when the count in the window reaches the threshold.
        if obs.denied {
            self.denials.push_back(at);
            while self.denials.front().is_some_and(|&t| at.saturating_sub(t) > self.config.denial_window_ms) {
                self.denials.pop_front();
            }
            if self.denials.len() == self.config.denial_threshold {
                new.push(Anomaly {
                    kind: AnomalyKind::RepeatedDenials,
                    detail: format!(
                        "{} denials within {} min",
                        self.denials.len(),
                        self.config.denial_window_ms / 60_000
                    ),
                    score: 60,
                    at_ms: at,
                });
            }
        }

        // The score: decay to now, then add half of each finding's score and each anomaly's score.
        let mut s = self.score(at);
        s += obs.findings.iter().map(|f| f64::from(f.score) / 2.0).sum::<f64>();
        s += new.iter().map(|a| f64::from(a.score)).sum::<f64>();
        if obs.denied {
            s += 10.0;
        }
        self.score = s.clamp(0.0, 100.0);
        self.score_at = at;
        self.anomalies.extend(new.iter().cloned());
        new
    }

    /// The behavioural score at `at_ms`, 0–100, decayed exponentially with the configured half-life.
    pub fn score(&self, at_ms: u64) -> f64 {
        let dt = at_ms.saturating_sub(self.score_at) as f64;
        let hl = self.config.half_life_ms.max(1) as f64;
        (self.score * 0.5f64.powf(dt / hl)).clamp(0.0, 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Span, analyse_command};

    fn obs(at_ms: u64, cmd: &str, destination: Option<&str>, denied: bool) -> Observation {
        Observation {
            at_ms,
            findings: analyse_command(cmd).findings,
            destination: destination.map(str::to_owned),
            denied,
        }
    }

    fn kinds(b: &SessionBehaviour) -> Vec<AnomalyKind> {
        b.anomalies().iter().map(|a| a.kind).collect()
    }

    #[test]
    fn credential_then_egress() {
        let mut b = SessionBehaviour::default();
        b.observe(obs(0, "cat ~/.aws/credentials", None, false));
        let new = b.observe(obs(60_000, "curl https://example.com", Some("example.com"), false));
        assert_eq!(new.first().map(|a| a.kind), Some(AnomalyKind::CredentialThenEgress));
        let mut late = SessionBehaviour::default();
        late.observe(obs(0, "cat ~/.aws/credentials", None, false));
        assert!(late.observe(obs(11 * 60_000, "curl x", Some("example.com"), false)).is_empty());
    }

    #[test]
    fn bursts_denials_and_destinations() {
        let mut b = SessionBehaviour::default();
        for i in 0..40 {
            b.observe(obs(i * 100, "ls", None, false));
        }
        assert_eq!(kinds(&b), [AnomalyKind::Burst]);
        let mut d = SessionBehaviour::default();
        for i in 0..3 {
            d.observe(obs(i * 60_000, "ls", None, true));
        }
        assert_eq!(kinds(&d), [AnomalyKind::RepeatedDenials]);
        let mut h = SessionBehaviour::default();
        for (i, host) in ["a.com", "b.com", "c.com", "a.com", "https://evil.example/x"].iter().enumerate() {
            h.observe(obs(i as u64 * 600_000, "true", Some(host), false));
        }
        assert_eq!(kinds(&h), [AnomalyKind::NewDestination]);
    }

    #[test]
    fn score_decays_with_half_life() {
        let mut b = SessionBehaviour::default();
        b.observe(Observation {
            at_ms: 1000,
            findings: vec![Finding {
                category: Category::Destructive,
                rule: "x".into(),
                evidence: Span::new(0, 1),
                score: 80,
            }],
            destination: None,
            denied: false,
        });
        let s0 = b.score(1000);
        assert!((s0 - 40.0).abs() < 1e-9);
        assert!((b.score(1000 + 5 * 60_000) - 20.0).abs() < 1e-9);
        assert!((0.0..=100.0).contains(&b.score(u64::MAX)));
    }
}
