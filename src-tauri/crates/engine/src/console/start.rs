//! Starting a session from the app: the agents and environments the API (or the demo's simulator) offers,
//! and a start through `session_gate`, within the profile's session limits, after which this console
//! listens to the session at once and, when given, sends its first message.

use super::{Console, ConsoleError};
use crate::session_gate::{GateError, SessionLimits};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use vargate_agents::client::{ListOptions, SessionParams};

/// Most agents and environments offered: the API's first page, newest first.
const MAX_CHOICES: u32 = 100;

/// What a new session is made of, as the reviewer chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewSession {
    pub agent_id: String,
    pub environment_id: String,
    /// Shown in the API's session list; optional.
    pub title: Option<String>,
    /// Sent as the session's first user message, so that the agent starts working; optional.
    pub message: Option<String>,
}

/// An agent or environment to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// The agents and environments a session can be started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionChoices {
    pub agents: Vec<Choice>,
    pub environments: Vec<Choice>,
}

impl Console {
    /// The agents and environments the API lists (not archived), newest first.
    pub async fn session_choices(&self) -> Result<SessionChoices, ConsoleError> {
        let options = ListOptions { limit: Some(MAX_CHOICES), ..ListOptions::default() };
        let agents = self.client.list_agents(&options).await?.data;
        let environments = self.client.list_environments(&options).await?.data;
        Ok(SessionChoices {
            agents: agents.into_iter().map(|a| Choice { id: a.id, name: a.name }).collect(),
            environments: environments.into_iter().map(|e| Choice { id: e.id, name: e.name }).collect(),
        })
    }

    /// Starts a session for `by` within the active profile's session limits (`session_gate`: the start or
    /// the refusal is recorded, with who asked), listens to it at once, then sends its first message if one
    /// was given. Returns the session's id. A refusal is [`ConsoleError::Refused`], saying which limit.
    pub async fn start_session(self: &Arc<Self>, new: &NewSession, by: &str) -> Result<String, ConsoleError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (agent, environment) = (new.agent_id.trim(), new.environment_id.trim());
        if agent.is_empty() || environment.is_empty() {
            return Err(ConsoleError::Invalid("a session needs an agent and an environment".into()));
        }
        if by.trim().is_empty() {
            return Err(ConsoleError::Invalid("a session is started by someone: the reviewer's name is empty".into()));
        }
        let limits = SessionLimits::from_params(&self.policies.active().profile.params);
        let params = SessionParams {
            agent: json!(agent),
            environment_id: environment.to_owned(),
            title: given(&new.title),
            ..SessionParams::default()
        };
        let id = crate::session_gate::start_session(&self.client, &self.store, &self.tenant, limits, &params, by)
            .await
            .map_err(|e| match e {
                GateError::Refused(reason) => ConsoleError::Refused(reason),
                GateError::Store(e) => ConsoleError::Store(e),
                GateError::Api(e) => ConsoleError::Api(e),
            })?;
        self.watch(id.clone());
        if let Some(text) = given(&new.message) {
            let message = json!({"type": "user.message", "content": [{"type": "text", "text": text}]});
            self.client.send_events(&id, &[message]).await.map_err(|e| {
                ConsoleError::Invalid(format!("session {id} started, but its first message was not sent: {e}"))
            })?;
        }
        Ok(id)
    }
}
