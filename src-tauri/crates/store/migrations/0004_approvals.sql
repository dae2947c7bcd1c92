-- The approval queue: tool calls held for a human. Rows change (pending → approved, denied or expired), so
-- this is state, not evidence: every request and its outcome is also an audit record, written by the process
-- that holds the call. Other processes (the CLI, the desktop app) decide by updating the row; the holder
-- notices, records the outcome and answers the session.
CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    tool_use_id  TEXT NOT NULL,
    action_id    TEXT NOT NULL,
    agent        TEXT NOT NULL,
    tool         TEXT NOT NULL,
    -- The held call: redacted parameters, findings, matched rules and the policy input, as JSON.
    details      TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    decided_by   TEXT,
    channel      TEXT,
    reason       TEXT,
    decided_at   TEXT
);
CREATE INDEX approvals_pending ON approvals (status, expires_at);
