//! A new approval request is announced to the configured webhook, signed with HMAC-SHA256 over the exact body
//! (`X-Vargate-Signature: sha256=<hex>`), and to in-process subscribers; a decision reaches subscribers too.

use hmac::{Hmac, Mac as _};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vargate_engine::approvals::{ApprovalConfig, ApprovalEvent, Approvals, Webhook};
use vargate_store::{ApprovalRow, FixedKey, Store, StoreOptions};

/// Accepts one HTTP request on loopback and returns its headers and body.
async fn receive_one(listener: tokio::net::TcpListener) -> (String, Vec<u8>) {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            socket.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await.unwrap();
            return (head, buf[end + 4..end + 4 + length].to_vec());
        }
    }
}

#[tokio::test]
async fn new_requests_are_announced_signed() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::open(&dir.path().join("log.db"), Arc::new(FixedKey([2; 32])), StoreOptions::default()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let secret = b"s3cret-for-tests".to_vec();
    let config = ApprovalConfig { webhook: Some(Webhook { url, secret: secret.clone() }), ..ApprovalConfig::default() };
    let approvals = Approvals::new(store.clone(), config);
    let mut events = approvals.subscribe();
    let received = tokio::spawn(receive_one(listener));
    let row = ApprovalRow {
        id: "apr_test".into(),
        tenant: "acme".into(),
        session_id: "sesn_1".into(),
        tool_use_id: "toolu_1".into(),
        action_id: "act_1".into(),
        agent: "agent_1".into(),
        tool: "send_email".into(),
        details: serde_json::json!({"params": {"to": "[REDACTED:email]"}}),
        requested_at: "2026-11-25T10:00:00Z".into(),
        expires_at: "2999-01-01T00:00:00Z".into(),
        status: "pending".into(),
        decided_by: None,
        channel: None,
        reason: None,
        decided_at: None,
    };
    approvals.open(row).await.unwrap();
    let (head, body) = tokio::time::timeout(Duration::from_secs(10), received).await.unwrap().unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(sent["type"], "vargate.approval_requested");
    assert_eq!(sent["approval"]["id"], "apr_test");
    let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(&secret).unwrap();
    mac.update(&body);
    let expected = format!("x-vargate-signature: sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert!(head.lines().any(|l| l == expected), "{head}");
    assert!(matches!(events.recv().await.unwrap(), ApprovalEvent::Requested(r) if r.id == "apr_test"));
    approvals.decide("apr_test", false, "dana", "webhook", "not today").await.unwrap();
    assert_eq!(
        events.recv().await.unwrap(),
        ApprovalEvent::Resolved { id: "apr_test".into(), status: "denied".into() }
    );
    // Bad channels and empty approvers are refused; nothing changes.
    assert!(approvals.decide("apr_test", true, "dana", "carrier-pigeon", "").await.is_err());
    assert!(approvals.decide("apr_test", true, " ", "cli", "").await.is_err());
    assert_eq!(approvals.get("apr_test").await.unwrap().decided_by.as_deref(), Some("dana"));
}
