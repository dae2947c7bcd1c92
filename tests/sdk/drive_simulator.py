#!/usr/bin/env python3
"""Drive a Managed Agents simulator with the official Python SDK (anthropic==2.10.0).

Usage:
    python3 tests/sdk/drive_simulator.py http://127.0.0.1:PORT [--allow-extra] [--timeout SECONDS]

The script:
 1. creates an agent, an environment and a session;
 2. opens `client.beta.sessions.events.stream(session_id)`, then sends one
    `user.message` and reads events until `session.status_idle`;
 3. lists the session's event history page by page (`limit=2`, following `next_page`);
 4. retrieves an unknown session and expects `anthropic.NotFoundError`;
 5. calls every other agents/environments/sessions method once (update with the optimistic version check,
    versions, archive, delete, filtered lists) and validates each response;
 6. runs an `always_ask` tool call through requires_action and a confirmation (simulator scenario `tool_use`).

The SDK builds its models leniently: it does not reject a missing field, a wrong type, or an unknown
event `type`. An unknown `type` is even built as some other event class. So every object the simulator
returns is also validated strictly here against the SDK's own pydantic models. Unknown fields
count as failures unless `--allow-extra` is given.

Prints one line per step and exits non-zero if any check fails. See
docs/managed-agents-sdk-schema.md for the schema.
"""

from __future__ import annotations

import sys
import time
import queue
import typing
import argparse
import threading
from datetime import datetime
from typing import Any, Dict, List, Optional

try:
    import pydantic
    import anthropic
    from anthropic.types.beta.beta_environment import BetaEnvironment
    from anthropic.types.beta.beta_managed_agents_agent import BetaManagedAgentsAgent
    from anthropic.types.beta.beta_managed_agents_session import BetaManagedAgentsSession
    from anthropic.types.beta.sessions.beta_managed_agents_session_event import BetaManagedAgentsSessionEvent
    from anthropic.types.beta.sessions.beta_managed_agents_send_session_events import (
        BetaManagedAgentsSendSessionEvents,
    )
    from anthropic.types.beta.sessions.beta_managed_agents_stream_session_events import (
        BetaManagedAgentsStreamSessionEvents,
    )
except ImportError as exc:  # pragma: no cover
    print(f"[FAIL] import: {exc} (pip install anthropic==2.10.0)")
    sys.exit(2)

EXPECTED_SDK_VERSION = "2.10.0"
PAGE_LIMIT = 2
MODEL = "claude-opus-4-8"

failures: List[str] = []
allow_extra = False


def ok(step: str, detail: str = "") -> None:
    if any(f.startswith((step + ":", step + "[")) for f in failures):
        return  # this step already reported a failure
    print(f"[ok]   {step}" + (f": {detail}" if detail else ""), flush=True)


def fail(step: str, detail: str) -> None:
    failures.append(f"{step}: {detail}")
    print(f"[FAIL] {step}: {detail}", flush=True)


def warn(step: str, detail: str) -> None:
    print(f"[warn] {step}: {detail}", flush=True)


# --------------------------------------------------------------------------- strict validation


def _union_members(union: Any) -> List[type]:
    """The classes of a (possibly Annotated) Union type alias."""
    args = typing.get_args(union)
    if args and typing.get_origin(union) is typing.Annotated:
        return _union_members(args[0])
    return [a for a in args if isinstance(a, type)]


def _type_map(union: Any) -> Dict[str, type]:
    """Map each member's `type` literal to its class, e.g. 'agent.message' -> BetaManagedAgentsAgentMessageEvent."""
    out: Dict[str, type] = {}
    for cls in _union_members(union):
        for lit in typing.get_args(cls.model_fields["type"].annotation):
            out[lit] = cls
    return out


STREAM_TYPES = _type_map(BetaManagedAgentsStreamSessionEvents)
HISTORY_TYPES = _type_map(BetaManagedAgentsSessionEvent)


def _extras(obj: Any, path: str) -> List[str]:
    """Dotted paths of fields the SDK's models do not declare (they land in `model_extra`)."""
    found: List[str] = []
    if isinstance(obj, pydantic.BaseModel):
        for key in (obj.model_extra or {}):
            found.append(f"{path}.{key}")
        for name in type(obj).model_fields:
            found += _extras(getattr(obj, name, None), f"{path}.{name}")
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            found += _extras(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += _extras(v, f"{path}.{k}")
    return found


def validate(step: str, cls: type, data: Any) -> Optional[Any]:
    """Strictly validate `data` (wire JSON or a round-tripped SDK object) against the model `cls`."""
    try:
        obj = cls.model_validate(data)
    except pydantic.ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:6]
        )
        fail(step, f"{cls.__name__} schema violation ({exc.error_count()} errors): {errs}")
        return None
    extra = _extras(obj, cls.__name__)
    if extra:
        (warn if allow_extra else fail)(step, f"fields unknown to the SDK: {', '.join(extra[:10])}")
    return obj


def validate_event(step: str, types: Dict[str, type], data: Dict[str, Any]) -> Optional[Any]:
    etype = data.get("type")
    cls = types.get(etype)  # type: ignore[arg-type]
    if cls is None:
        fail(step, f"event type {etype!r} is not in the SDK's union (SDK would mis-build it)")
        return None
    return validate(step, cls, data)


def _ts(value: Any) -> datetime:
    """Parse an RFC 3339 timestamp (already validated) for ordering checks."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def raw_json(step: str, raw: Any) -> Any:
    """The wire JSON of a `with_raw_response` call, after checking the response headers."""
    ctype = raw.headers.get("content-type", "")
    if not ctype.lower().split(";")[0].strip().endswith("json"):
        fail(step, f"content-type is {ctype!r}, SDK expects application/json")
    if not raw.headers.get("request-id"):
        warn(step, "no `request-id` response header")
    return raw.http_response.json()


# --------------------------------------------------------------------------- steps


def main() -> int:
    global allow_extra
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base_url")
    ap.add_argument("--allow-extra", action="store_true", help="report unknown fields as warnings only")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for session.status_idle")
    args = ap.parse_args()
    allow_extra = args.allow_extra

    if anthropic.__version__ != EXPECTED_SDK_VERSION:
        warn("sdk", f"anthropic {anthropic.__version__} installed; schema was derived from {EXPECTED_SDK_VERSION}")
    else:
        ok("sdk", f"anthropic {anthropic.__version__}")

    # max_retries=0: a conformance run must see the first answer, not a retried one.
    client = anthropic.Anthropic(api_key="test", base_url=args.base_url, max_retries=0, timeout=30.0)

    # 1. agent ---------------------------------------------------------------
    step = "agents.create"
    try:
        raw = client.beta.agents.with_raw_response.create(
            name="sdk-conformance-agent",
            model=MODEL,
            system="You are a test agent. Answer briefly.",
            tools=[{"type": "agent_toolset_20260401"}],
            metadata={"suite": "drive_simulator"},
        )
        agent = validate(step, BetaManagedAgentsAgent, raw_json(step, raw))
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        return finish()
    if agent is None:
        return finish()
    if agent.name != "sdk-conformance-agent" or agent.version < 1 or agent.model.id != MODEL:
        fail(step, f"echo mismatch: name={agent.name!r} version={agent.version} model={agent.model.id!r}")
    else:
        ok(step, f"id={agent.id} version={agent.version}")

    # 2. environment ---------------------------------------------------------
    step = "environments.create"
    try:
        raw = client.beta.environments.with_raw_response.create(
            name="sdk-conformance-env",
            config={"type": "cloud", "networking": {"type": "unrestricted"}},
        )
        env = validate(step, BetaEnvironment, raw_json(step, raw))
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        return finish()
    if env is None:
        return finish()
    ok(step, f"id={env.id} config.type={env.config.type}")

    # 3. session -------------------------------------------------------------
    step = "sessions.create"
    try:
        raw = client.beta.sessions.with_raw_response.create(
            agent=agent.id,
            environment_id=env.id,
            title="sdk conformance",
        )
        session = validate(step, BetaManagedAgentsSession, raw_json(step, raw))
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        return finish()
    if session is None:
        return finish()
    if session.agent.id != agent.id or session.environment_id != env.id:
        fail(step, f"session.agent.id={session.agent.id} environment_id={session.environment_id}")
    else:
        ok(step, f"id={session.id} status={session.status}")

    # 4. stream + send -------------------------------------------------------
    step = "events.stream"
    events_q: "queue.Queue[Any]" = queue.Queue()
    opened = threading.Event()
    stop = threading.Event()

    def reader() -> None:
        try:
            stream = client.beta.sessions.events.stream(session.id)
            opened.set()
            with stream:
                for ev in stream:
                    events_q.put(ev)
                    if stop.is_set() or ev.type in ("session.status_idle", "session.status_terminated", "session.deleted"):
                        break
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            events_q.put(exc)
        finally:
            opened.set()
            events_q.put(None)

    t = threading.Thread(target=reader, name="sse-reader", daemon=True)
    t.start()
    if not opened.wait(10.0):
        fail(step, "no response headers within 10s (the simulator must flush headers before any event)")
        return finish()
    ok(step, "stream opened")

    step = "events.send"
    try:
        raw = client.beta.sessions.events.with_raw_response.send(
            session.id,
            events=[{"type": "user.message", "content": [{"type": "text", "text": "Say hello."}]}],
        )
        sent = validate(step, BetaManagedAgentsSendSessionEvents, raw_json(step, raw))
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        stop.set()
        return finish()
    sent_ids: List[str] = []
    if sent is not None:
        data = sent.data or []
        sent_ids = [e.id for e in data]
        if len(data) != 1 or data[0].type != "user.message" or not data[0].id:
            fail(step, f"expected one echoed user.message with an id, got {[(e.type, e.id) for e in data]}")
        else:
            ok(step, f"user.message id={data[0].id}")

    step = "events.stream.read"
    deadline = time.monotonic() + args.timeout
    streamed: List[Any] = []
    idle = None
    while idle is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            fail(step, f"no session.status_idle within {args.timeout:.0f}s; saw {[e.type for e in streamed]}")
            break
        try:
            item = events_q.get(timeout=remaining)
        except queue.Empty:
            continue
        if item is None:
            fail(step, f"stream ended before session.status_idle; saw {[e.type for e in streamed]}")
            break
        if isinstance(item, BaseException):
            fail(step, f"{type(item).__name__}: {item}")
            break
        streamed.append(item)
        validate_event(f"{step}[{item.type}]", STREAM_TYPES, item.to_dict(mode="json"))
        if item.type == "session.status_idle":
            idle = item
        elif item.type in ("session.status_terminated", "session.deleted"):
            fail(step, f"got {item.type} before session.status_idle")
            break
    stop.set()
    if idle is not None:
        ok(step, f"{len(streamed)} events: {' '.join(e.type for e in streamed)}; stop_reason={idle.stop_reason.type}")
        if not any(e.type == "agent.message" for e in streamed):
            warn(step, "no agent.message before session.status_idle")
        if sent_ids and not any(e.id in sent_ids for e in streamed):
            warn(step, "the sent user.message was not echoed on the stream")

    # 5. history with pagination ---------------------------------------------
    step = "events.list"
    history: List[Any] = []
    cursor: Optional[str] = None
    pages = 0
    try:
        while True:
            kwargs: Dict[str, Any] = {"limit": PAGE_LIMIT}
            if cursor:
                kwargs["page"] = cursor
            raw = client.beta.sessions.events.with_raw_response.list(session.id, **kwargs)
            body = raw_json(step, raw)
            pages += 1
            if not isinstance(body, dict) or not isinstance(body.get("data"), list) or "next_page" not in body:
                fail(step, f"page {pages}: envelope must be {{data: [...], next_page: str|null}}, got keys {list(body) if isinstance(body, dict) else type(body).__name__}")
                break
            if len(body["data"]) > PAGE_LIMIT:
                fail(step, f"page {pages}: {len(body['data'])} items > limit {PAGE_LIMIT}")
            for item in body["data"]:
                validate_event(f"{step}[page {pages}]", HISTORY_TYPES, item)
                history.append(item)
            cursor = raw.parse().next_page
            if not cursor:
                break
            if pages >= 500:
                fail(step, "more than 500 pages; next_page never ends")
                break
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
    ids = [e.get("id") for e in history]
    if len(set(ids)) != len(ids):
        fail(step, "duplicate event ids across pages")
    times = [_ts(e.get("processed_at")) for e in history if e.get("processed_at")]
    if times != sorted(times):
        warn(step, "history is not in ascending processed_at order (default order is asc)")
    if len(history) > PAGE_LIMIT and pages < 2:
        fail(step, f"{len(history)} events on one page with limit={PAGE_LIMIT}")
    persisted_stream_ids = [e.id for e in streamed if e.type not in ("event_start", "event_delta")]
    missing = [i for i in persisted_stream_ids if i not in ids]
    if missing:
        fail(step, f"streamed events missing from history: {missing[:5]}")
    # The SDK's own auto-pagination must walk the same sequence.
    try:
        auto_ids = [e.id for e in client.beta.sessions.events.list(session.id, limit=PAGE_LIMIT)]
        if auto_ids != ids:
            fail(step, "SDK auto-pagination returned a different id sequence than manual paging")
    except anthropic.APIError as exc:
        fail(step, f"auto-pagination: {type(exc).__name__}: {exc}")
    ok(step, f"{len(history)} events over {pages} pages (limit={PAGE_LIMIT})")

    # 6. unknown session -> NotFoundError -------------------------------------
    step = "sessions.retrieve(unknown)"
    try:
        client.beta.sessions.retrieve("sesn_doesnotexist000000000000")
        fail(step, "no error raised for an unknown session")
    except anthropic.NotFoundError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        err = body.get("error") if isinstance(body.get("error"), dict) else {}
        if body.get("type") != "error" or err.get("type") != "not_found_error" or not isinstance(err.get("message"), str):
            fail(step, f"404 body must be {{type:'error', error:{{type:'not_found_error', message}}}}, got {exc.body!r}")
        else:
            ok(step, f"NotFoundError status={exc.status_code} type={exc.type} request_id={exc.request_id}")
    except anthropic.APIStatusError as exc:
        fail(step, f"expected NotFoundError (404), got {type(exc).__name__} status={exc.status_code}")
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")

    resources(client, agent, env)
    ask_flow(client, env, args.timeout)
    return finish()


# --------------------------------------------------------------------------- more endpoints


def resources(client: "anthropic.Anthropic", agent: Any, env: Any) -> None:
    """Every other agents/environments/sessions method, each response validated strictly."""
    from anthropic.types.beta.beta_environment_delete_response import BetaEnvironmentDeleteResponse
    from anthropic.types.beta.beta_managed_agents_deleted_session import BetaManagedAgentsDeletedSession

    def call(step: str, cls: type, fn: Any, *a: Any, **kw: Any) -> Any:
        try:
            obj = validate(step, cls, raw_json(step, fn(*a, **kw)))
        except anthropic.APIError as exc:
            fail(step, f"{type(exc).__name__}: {exc}")
            return None
        if obj is not None:
            ok(step)
        return obj

    def page(step: str, cls: Any, fn: Any, *a: Any, **kw: Any) -> List[Any]:
        """`cls` is a model class, or a type map (events) validated with validate_event."""
        try:
            body = raw_json(step, fn(*a, **kw))
        except anthropic.APIError as exc:
            fail(step, f"{type(exc).__name__}: {exc}")
            return []
        if not isinstance(body, dict) or not isinstance(body.get("data"), list) or "next_page" not in body:
            fail(step, f"list envelope must be {{data, next_page}}, got {body!r:.200}")
            return []
        if isinstance(cls, dict):
            items = [validate_event(step, cls, d) for d in body["data"]]
        else:
            items = [validate(step, cls, d) for d in body["data"]]
        ok(step, f"{len(items)} item(s)")
        return items

    updated = call("agents.update", BetaManagedAgentsAgent, client.beta.agents.with_raw_response.update,
                   agent.id, version=agent.version, description="updated by drive_simulator")
    if updated is not None and updated.version != agent.version + 1:
        fail("agents.update", f"version {updated.version}, expected {agent.version + 1}")
    call("agents.retrieve(version)", BetaManagedAgentsAgent, client.beta.agents.with_raw_response.retrieve, agent.id, version=1)
    page("agents.list", BetaManagedAgentsAgent, client.beta.agents.with_raw_response.list, limit=5)
    versions = page("agents.versions.list", BetaManagedAgentsAgent, client.beta.agents.versions.with_raw_response.list, agent.id)
    if updated is not None and [v.version for v in versions if v is not None] != [agent.version + 1, agent.version]:
        fail("agents.versions.list", f"versions {[v.version for v in versions if v is not None]}")
    try:
        client.beta.agents.update(agent.id, version=agent.version, name="stale")
        fail("agents.update(stale version)", "no error raised")
    except anthropic.ConflictError:
        ok("agents.update(stale version)", "ConflictError")
    except anthropic.APIError as exc:
        fail("agents.update(stale version)", f"expected ConflictError, got {type(exc).__name__}")

    env2 = call("environments.create(limited)", BetaEnvironment, client.beta.environments.with_raw_response.create,
                name="sdk-env-2", config={"type": "cloud", "networking": {"type": "limited", "allowed_hosts": ["example.com"]},
                                          "packages": {"pip": ["requests"]}})
    call("environments.retrieve", BetaEnvironment, client.beta.environments.with_raw_response.retrieve, env.id)
    if env2 is not None:
        call("environments.update", BetaEnvironment, client.beta.environments.with_raw_response.update, env2.id,
             description="d", metadata={"a": "b"})
        call("environments.archive", BetaEnvironment, client.beta.environments.with_raw_response.archive, env2.id)
        page("environments.list", BetaEnvironment, client.beta.environments.with_raw_response.list, include_archived=True)
        call("environments.delete", BetaEnvironmentDeleteResponse, client.beta.environments.with_raw_response.delete, env2.id)

    s2 = call("sessions.create(pinned version)", BetaManagedAgentsSession, client.beta.sessions.with_raw_response.create,
              agent={"type": "agent", "id": agent.id, "version": 1}, environment_id=env.id,
              budget={"type": "limit", "max_list_cost": {"amount": "5.00", "currency": "USD"}})
    if s2 is None:
        return
    call("sessions.update", BetaManagedAgentsSession, client.beta.sessions.with_raw_response.update, s2.id,
         title="renamed", metadata={"k": "v"})
    page("sessions.list", BetaManagedAgentsSession, client.beta.sessions.with_raw_response.list,
         agent_id=agent.id, statuses=["idle"], order="asc")
    page("events.list(types)", HISTORY_TYPES, client.beta.sessions.events.with_raw_response.list,
         s2.id, types=["session.updated"])
    call("sessions.archive", BetaManagedAgentsSession, client.beta.sessions.with_raw_response.archive, s2.id)
    try:
        client.beta.sessions.events.send(s2.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "x"}]}])
        fail("events.send(archived)", "no error raised")
    except anthropic.ConflictError:
        ok("events.send(archived)", "ConflictError")
    except anthropic.APIError as exc:
        fail("events.send(archived)", f"expected ConflictError, got {type(exc).__name__}")
    call("sessions.delete", BetaManagedAgentsDeletedSession, client.beta.sessions.with_raw_response.delete, s2.id)


def ask_flow(client: "anthropic.Anthropic", env: Any, timeout: float) -> None:
    """always_ask: agent.tool_use (ask) -> idle requires_action -> user.tool_confirmation -> agent.tool_result.
    Uses the simulator's `sim_scenario` metadata key to pick the scripted `tool_use` scenario."""
    step = "ask_flow"
    try:
        agent = client.beta.agents.create(
            name="sdk-ask-agent", model=MODEL,
            tools=[{"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": "always_ask"}}}],
        )
        session = client.beta.sessions.create(agent=agent.id, environment_id=env.id, metadata={"sim_scenario": "tool_use"})
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        return
    seen: List[Any] = []
    deadline = time.monotonic() + timeout
    try:
        with client.beta.sessions.events.stream(session.id) as stream:
            client.beta.sessions.events.send(session.id, events=[{"type": "user.message", "content": [{"type": "text", "text": "run the tests"}]}])
            confirmed = False
            for ev in stream:
                validate_event(f"{step}[{ev.type}]", STREAM_TYPES, ev.to_dict(mode="json"))
                seen.append(ev)
                if ev.type == "session.status_idle" and ev.stop_reason.type == "requires_action" and not confirmed:
                    tool = next((e for e in seen if e.type == "agent.tool_use"), None)
                    if tool is None or tool.evaluated_permission != "ask" or ev.stop_reason.event_ids != [tool.id]:
                        fail(step, f"requires_action must name the ask tool_use; saw {[e.type for e in seen]}")
                        return
                    sent = client.beta.sessions.events.send(session.id, events=[{"type": "user.tool_confirmation", "tool_use_id": tool.id, "result": "allow"}])
                    validate(f"{step}.confirm", BetaManagedAgentsSendSessionEvents, sent.to_dict(mode="json"))
                    confirmed = True
                elif ev.type == "session.status_idle":
                    break
                if time.monotonic() > deadline:
                    fail(step, "timed out")
                    return
    except anthropic.APIError as exc:
        fail(step, f"{type(exc).__name__}: {exc}")
        return
    results = [e for e in seen if e.type == "agent.tool_result"]
    last = seen[-1] if seen else None
    if not results or last is None or last.type != "session.status_idle" or last.stop_reason.type != "end_turn":
        fail(step, f"expected agent.tool_result then idle end_turn; saw {[e.type for e in seen]}")
    else:
        ok(step, f"{len(seen)} events: {' '.join(e.type for e in seen)}")


def finish() -> int:
    if failures:
        print(f"FAILED: {len(failures)} check(s) failed", flush=True)
        return 1
    print("PASSED", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
