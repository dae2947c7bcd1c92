//! Desktop notifications for approval requests (freedesktop notifications over the D-Bus session bus), so
//! that a human can decide a held tool call in at most two clicks without opening the window: Approve or
//! Deny on the notification decides it, a click on its body focuses the request in the app.
//!
//! A notification carries only what identifies the request — the tool, the agent, a short session id and the
//! time left — never its arguments or details, which may be sensitive and which a notification server may
//! log, show on a lock screen or keep in a history.
//!
//! The notifier never decides on its own: when a notification cannot be shown, or nobody answers it, the
//! request's own timer denies the call (fail closed). A notification never outlives its request: it is
//! closed when the request expires or is resolved elsewhere, which also ends the thread waiting on it.

use notify_rust::{Hint, Notification, NotificationResponse, Timeout, Urgency};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vargate_engine::approvals::{ApprovalError, ApprovalEvent, Approvals};
use vargate_store::ApprovalRow;

/// The decision channel recorded for decisions made from a notification.
pub const CHANNEL: &str = "notification";
/// The action key of the Approve button.
pub const APPROVE: &str = "approve";
/// The action key of the Deny button.
pub const DENY: &str = "deny";
/// The action key the notification specification reserves for a click on the notification itself.
pub const OPEN: &str = "default";

/// What the app does when the user clicks a notification's body: it is given the request's id and focuses
/// that request in its window.
pub type Focus = Arc<dyn Fn(String) + Send + Sync>;

const BUS_NAME: &str = "org.freedesktop.Notifications";
const OBJECT_PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";
/// The reason code of `NotificationClosed` for "closed by a call to CloseNotification".
const CLOSED_BY_CALL: u32 = 3;
/// How long one D-Bus call may take: the session bus is local, so anything slower is a fault.
const DBUS_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a shown request's state is read from the store: a decision made in another process (the CLI)
/// announces nothing to this one, and its notification should not linger until the request's expiry.
const STORE_POLL: Duration = Duration::from_secs(2);
/// How long the waiting thread gets to return after its notification was closed, before it is woken here.
const RELEASE_GRACE: Duration = Duration::from_secs(2);
/// How many times the waiting thread is woken here before giving up on it (it is then logged).
const RELEASE_ATTEMPTS: u32 = 5;
/// Longest tool or agent name shown; longer ones are cut (they come from the agent's configuration).
const MAX_NAME: usize = 60;
/// Characters of the session id shown: enough to tell sessions apart at a glance.
const SHORT_ID: usize = 13;

/// Shows a desktop notification for every approval request opened through `approvals` from now on, and
/// records the decisions made on them as `approver` through the channel [`CHANNEL`].
///
/// Runs as long as the queue does: `approvals` is held weakly, so when its owner drops it (the app replaces
/// its engine) the notifier ends and closes what it showed. Aborting the returned task stops new
/// notifications only: those already shown still end with their requests.
///
/// # Panics
///
/// Panics if called outside a Tokio runtime, as [`tokio::spawn`] does.
pub fn spawn(approvals: Arc<Approvals>, approver: String, focus: Focus) -> JoinHandle<()> {
    // Subscribed before returning, so that a request opened right after this call is not missed.
    let requests = approvals.subscribe();
    let notifier = Arc::new(Notifier { approvals: Arc::downgrade(&approvals), approver, focus });
    tokio::spawn(notifier.run(requests))
}

/// What every notification task shares.
struct Notifier {
    /// Weak, so as not to keep a replaced queue (and its store) alive, nor its announcements open.
    approvals: Weak<Approvals>,
    approver: String,
    focus: Focus,
}

/// What the notification server can do, as far as the notifier cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Capabilities {
    /// Buttons: without them the user decides in the app.
    actions: bool,
    /// Markup in the body: names are then escaped, otherwise shown as they are.
    markup: bool,
}

/// The text of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Content {
    summary: String,
    body: String,
}

/// How a shown notification ended.
enum Ending {
    /// The thread waiting on it returned: with the user's answer (an action, or a dismissal), or with
    /// nothing when the wait failed.
    Answered(Option<NotificationResponse>),
    /// The request's deadline passed.
    Expired,
    /// The request was resolved by someone else.
    Resolved,
}

impl Notifier {
    /// Hands each new request to a task of its own, so that one slow notification server call never delays
    /// the next request.
    async fn run(self: Arc<Self>, mut requests: broadcast::Receiver<ApprovalEvent>) {
        loop {
            match requests.recv().await {
                Ok(ApprovalEvent::Requested(row)) => {
                    let Some(approvals) = self.approvals.upgrade() else {
                        return;
                    };
                    // Subscribed here, before the task checks the request is pending: a resolution between
                    // the two is then either seen by that check or delivered to this receiver.
                    let resolutions = approvals.subscribe();
                    tokio::spawn(Arc::clone(&self).notify(*row, resolutions));
                }
                Ok(ApprovalEvent::Resolved { .. }) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!("{missed} approval events were missed: their requests get no notification");
                }
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// Shows the notification of one request and carries out what happens to it.
    async fn notify(self: Arc<Self>, row: ApprovalRow, mut resolutions: broadcast::Receiver<ApprovalEvent>) {
        let Some(left) = time_left(&row.expires_at, time::OffsetDateTime::now_utc()) else {
            return;
        };
        let deadline = tokio::time::Instant::now() + left;
        if !self.pending(&row.id).await {
            return;
        }
        let Some(caps) = capabilities().await else {
            return;
        };
        let notification = build(&content(&row, left, caps), caps.actions, left);
        let (shown, id) = oneshot::channel();
        let mut waiter = tokio::task::spawn_blocking(move || show_and_wait(&notification, caps.actions, shown));
        // No id: the notification could not be shown (the thread logged why).
        let Ok(id) = id.await else {
            return;
        };
        let ending = tokio::select! {
            answer = &mut waiter, if caps.actions => Ending::Answered(answer.ok().flatten()),
            () = tokio::time::sleep_until(deadline) => Ending::Expired,
            () = self.resolved(&mut resolutions, &row.id) => Ending::Resolved,
        };
        match ending {
            Ending::Answered(Some(response)) => self.answer(&row.id, response).await,
            // The wait failed (logged), yet the notification may still be up: it goes with its request.
            Ending::Answered(None) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = self.resolved(&mut resolutions, &row.id) => {}
                }
                close(id).await;
            }
            Ending::Expired | Ending::Resolved => {
                close(id).await;
                if caps.actions {
                    release(waiter, id).await;
                }
            }
        }
    }

    /// Carries out the user's answer to the notification of request `id`.
    async fn answer(&self, id: &str, response: NotificationResponse) {
        match response {
            NotificationResponse::Action(key) if key == APPROVE => self.decide(id, true).await,
            NotificationResponse::Action(key) if key == DENY => self.decide(id, false).await,
            NotificationResponse::Default => (self.focus)(id.to_owned()),
            NotificationResponse::Closed(reason) => {
                tracing::debug!(approval = id, "notification closed ({reason:?}); decide in the app");
            }
            other => tracing::debug!(approval = id, "ignored notification response {other:?}"),
        }
    }

    /// Records the decision. Losing the race to another decision (or to the expiry timer) is normal.
    async fn decide(&self, id: &str, approve: bool) {
        let reason =
            if approve { "approved from a desktop notification" } else { "denied from a desktop notification" };
        let Some(approvals) = self.approvals.upgrade() else {
            tracing::warn!(approval = id, "the decision from a notification came after its queue was closed");
            return;
        };
        match approvals.decide(id, approve, &self.approver, CHANNEL, reason).await {
            Ok(row) => tracing::info!(approval = id, status = %row.status, "decided from a desktop notification"),
            Err(ApprovalError::AlreadyResolved { status, .. }) => {
                tracing::info!(approval = id, %status, "the request was already resolved; the notification's answer is moot");
            }
            Err(e) => tracing::warn!(approval = id, "the decision from a notification was not recorded: {e}"),
        }
    }

    /// Whether request `id` is still waiting for a decision here: not once the queue is gone. A store fault
    /// counts as pending: the notification then stays until the request's deadline, which is always safe.
    async fn pending(&self, id: &str) -> bool {
        let Some(approvals) = self.approvals.upgrade() else {
            return false;
        };
        match approvals.get(id).await {
            Ok(row) => row.status == "pending",
            Err(ApprovalError::Unknown(_)) => false,
            Err(e) => {
                tracing::warn!(approval = id, "cannot read the approval request: {e}");
                true
            }
        }
    }

    /// Returns once request `id` is resolved — announced in this process, or found in the store (decided by
    /// another process, or an announcement was missed) — or once the queue is gone.
    async fn resolved(&self, events: &mut broadcast::Receiver<ApprovalEvent>, id: &str) {
        let mut poll = tokio::time::interval(STORE_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(ApprovalEvent::Resolved { id: resolved, .. }) if resolved == id => return,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = poll.tick() => if !self.pending(id).await {
                    return;
                },
            }
        }
    }
}

/// Asks the notification server what it supports; `None` (logged) when there is no server to ask.
async fn capabilities() -> Option<Capabilities> {
    match tokio::task::spawn_blocking(notify_rust::get_capabilities).await {
        Ok(Ok(caps)) => Some(Capabilities {
            actions: caps.iter().any(|c| c == "actions"),
            markup: caps.iter().any(|c| c == "body-markup"),
        }),
        Ok(Err(e)) => {
            tracing::warn!("no desktop notification for an approval request: the notification server: {e}");
            None
        }
        Err(e) => {
            tracing::warn!("no desktop notification for an approval request: {e}");
            None
        }
    }
}

/// The time left until an RFC 3339 deadline; `None` when it has passed or cannot be read (the request is
/// then about to be denied, and a notification would only invite a click that comes too late).
fn time_left(expires_at: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let at = time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339).ok()?;
    Duration::try_from(at - now).ok().filter(|d| !d.is_zero())
}

/// What the notification says: enough to recognise the request, nothing of its arguments or details.
fn content(row: &ApprovalRow, left: Duration, caps: Capabilities) -> Content {
    // Summaries are plain text by specification; the body may be markup.
    let summary = format!("Approval needed: {}", shorten(&row.tool, MAX_NAME));
    let name = |s: &str, max| if caps.markup { escape_markup(&shorten(s, max)) } else { shorten(s, max) };
    let mut body = format!(
        "Agent {} · session {}\n{} left to decide, then it is denied.",
        name(&row.agent, MAX_NAME),
        name(&row.session_id, SHORT_ID),
        describe(left),
    );
    if !caps.actions {
        body.push_str("\nOpen Vargate Desktop to approve or deny it.");
    }
    Content { summary, body }
}

/// The notification to show: critical (an agent is blocked on it) and expiring with its request on servers
/// that honour a timeout, a second guard besides closing it from here.
fn build(content: &Content, actions: bool, left: Duration) -> Notification {
    let mut n = Notification::new();
    n.appname("Vargate Desktop")
        .summary(&content.summary)
        .body(&content.body)
        .urgency(Urgency::Critical)
        .hint(Hint::Category("x-vargate.approval".into()))
        .timeout(Timeout::Milliseconds(u32::try_from(left.as_millis()).unwrap_or(u32::MAX)));
    if actions {
        n.action(APPROVE, "Approve").action(DENY, "Deny").action(OPEN, "Open in Vargate");
    }
    n
}

/// Runs on a blocking thread: shows the notification, reports its server id through `shown`, then (with
/// actions) waits for the user's answer or for the notification to close — a wait with no timeout of its
/// own, which ends when the notification is closed (see [`release`]).
fn show_and_wait(notification: &Notification, wait: bool, shown: oneshot::Sender<u32>) -> Option<NotificationResponse> {
    let handle = match notification.show() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!("an approval request's desktop notification was not shown: {e}");
            return None;
        }
    };
    // The receiver is gone only if the runtime is shutting down; the notification then just stays.
    let _ = shown.send(handle.id());
    if !wait {
        return None;
    }
    let mut answer = None;
    if let Err(e) = handle.wait_for_response(|r: &NotificationResponse| answer = Some(r.clone())) {
        tracing::warn!("lost the desktop notification of an approval request: {e}");
    }
    answer
}

/// Closes notification `id` on the server (which then announces `NotificationClosed`). Failures are logged:
/// the notification then lingers, harmlessly, until the server's own timeout or the user.
async fn close(id: u32) {
    match tokio::task::spawn_blocking(move || close_notification(id)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(notification = id, "could not close a desktop notification: {e}"),
        Err(e) => tracing::warn!(notification = id, "could not close a desktop notification: {e}"),
    }
}

/// Waits for the thread waiting on closed notification `id` to return, so that no thread waits forever.
/// A conforming server's `NotificationClosed` ends the wait at once; but a server that does not send it (it
/// crashed, restarted, or ignores closes) — or a close that beat the thread's subscription to the signal —
/// would leave the thread blocked for the life of the app. So, after a grace period, the closure is
/// announced from here with the same signal (the notification is ours and is gone), a few times.
async fn release(mut waiter: JoinHandle<Option<NotificationResponse>>, id: u32) {
    for _ in 0..RELEASE_ATTEMPTS {
        if tokio::time::timeout(RELEASE_GRACE, &mut waiter).await.is_ok() {
            return;
        }
        match tokio::task::spawn_blocking(move || announce_closed(id)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(notification = id, "could not wake the notification's thread: {e}"),
            Err(e) => tracing::warn!(notification = id, "could not wake the notification's thread: {e}"),
        }
    }
    if tokio::time::timeout(RELEASE_GRACE, &mut waiter).await.is_err() {
        tracing::warn!(notification = id, "a thread is still waiting on a closed desktop notification");
    }
}

/// `CloseNotification(id)` on a connection of its own (the shown notification's connection belongs to the
/// thread waiting on it).
fn close_notification(id: u32) -> Result<(), dbus::Error> {
    let connection = dbus::blocking::Connection::new_session()?;
    let proxy = connection.with_proxy(BUS_NAME, OBJECT_PATH, DBUS_TIMEOUT);
    proxy.method_call(INTERFACE, "CloseNotification", (id,))
}

/// Broadcasts `NotificationClosed(id, 3)`, the signal that ends the wait of [`show_and_wait`].
fn announce_closed(id: u32) -> Result<(), dbus::Error> {
    let connection = dbus::blocking::Connection::new_session()?;
    let signal = dbus::Message::new_signal(OBJECT_PATH, INTERFACE, "NotificationClosed")
        .map_err(|e| dbus::Error::new_failed(&e))?
        .append2(id, CLOSED_BY_CALL);
    let channel = connection.channel();
    channel.send(signal).map_err(|()| dbus::Error::new_failed("the session bus refused the signal"))?;
    channel.flush();
    Ok(())
}

/// A duration as a person reads it on a notification: seconds under two minutes, then minutes, then hours.
fn describe(left: Duration) -> String {
    let secs = left.as_secs();
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// At most `max` characters of `s`, without control characters (a name must not break the layout), with
/// an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    let clean: Vec<char> = s.chars().filter(|c| !c.is_control()).collect();
    if clean.len() <= max {
        return clean.into_iter().collect();
    }
    let mut cut: String = clean[..max.saturating_sub(1)].iter().collect();
    cut.push('…');
    cut
}

/// Escapes the characters that the notification body markup gives a meaning.
fn escape_markup(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ApprovalRow {
        ApprovalRow {
            id: "apr_1".into(),
            tenant: "acme".into(),
            session_id: "sesn_011CZkZabcdefghijk".into(),
            tool_use_id: "toolu_1".into(),
            action_id: "act_1".into(),
            agent: "<b>builder</b>".into(),
            tool: "bash".into(),
            details: serde_json::json!({"params": {"command": "cat secret-canary"}}),
            requested_at: "2026-11-25T10:00:00Z".into(),
            expires_at: "2026-11-25T10:05:00Z".into(),
            status: "pending".into(),
            decided_by: None,
            channel: None,
            reason: None,
            decided_at: None,
        }
    }

    #[test]
    fn content_names_the_request_and_nothing_of_its_details() {
        let caps = Capabilities { actions: true, markup: true };
        let c = content(&row(), Duration::from_secs(299), caps);
        assert_eq!(c.summary, "Approval needed: bash");
        assert_eq!(
            c.body,
            "Agent &lt;b&gt;builder&lt;/b&gt; · session sesn_011CZkZ…\n4 min left to decide, then it is denied."
        );
        assert!(!c.body.contains("secret-canary"));
    }

    #[test]
    fn without_actions_the_body_sends_the_user_to_the_app() {
        let caps = Capabilities { actions: false, markup: false };
        let c = content(&row(), Duration::from_secs(30), caps);
        assert!(c.body.starts_with("Agent <b>builder</b> · session"), "{}", c.body);
        assert!(c.body.ends_with("Open Vargate Desktop to approve or deny it."), "{}", c.body);
    }

    #[test]
    fn time_left_until_a_deadline() {
        let rfc3339 = &time::format_description::well_known::Rfc3339;
        let now = time::OffsetDateTime::parse("2026-11-25T10:00:00Z", rfc3339).unwrap();
        assert_eq!(time_left("2026-11-25T10:05:00Z", now), Some(Duration::from_secs(300)));
        assert_eq!(time_left("2026-11-25T10:00:00Z", now), None);
        assert_eq!(time_left("2026-11-25T09:00:00Z", now), None);
        assert_eq!(time_left("soon", now), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe(Duration::from_secs(45)), "45 s");
        assert_eq!(describe(Duration::from_secs(119)), "119 s");
        assert_eq!(describe(Duration::from_secs(300)), "5 min");
        assert_eq!(describe(Duration::from_secs(3 * 3600 + 120)), "3 h 2 min");
    }

    #[test]
    fn names_are_cut_and_cleaned() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("a\nb\tc", 5), "abc");
        assert_eq!(shorten("abcdefgh", 5), "abcd…");
        assert_eq!(escape_markup("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
