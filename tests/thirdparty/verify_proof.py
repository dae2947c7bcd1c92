#!/usr/bin/env python3
"""An independent verifier of `vargate-proof/3` (and `/2`) files, written from docs/proof-format.md alone.

It shares no code with Vargate: Python's hashlib, base64 and json, and the `cryptography` package for
Ed25519. The test suite runs it on files the `vargate` CLI produced, so a passing run shows that the
documented format is enough for a third party to verify our proofs.

Usage: verify_proof.py PROOF.json VKEY      exit 0 valid, 1 invalid, 2 unreadable

Simplification: RFC 8785 canonical form is checked with json.dumps(sort_keys, compact, ensure_ascii=False),
which equals RFC 8785 for records whose keys are in the Basic Multilingual Plane and whose numbers are
integers (all records the tests produce).
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2, as docs/proof-format.md section 3 writes it."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def split_point(n):
    """Largest power of two below n (n >= 2): where RFC 6962 splits a tree."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path_ranges(m, lo, hi):
    """The leaf ranges of the RFC 9162 audit path of leaf m (relative to lo) in leaves [lo, hi), leaf level first."""
    if hi - lo == 1:
        return []
    k = split_point(hi - lo)
    if m < k:
        return path_ranges(m, lo, lo + k) + [(lo + k, hi)]
    return path_ranges(m - k, lo + k, hi) + [(lo, lo + k)]


def plain_paths(size, entries, nodes):
    """Format 3: rebuilds each entry's plain audit path from the shared nodes (docs/proof-format.md section 1.1)."""
    leaves = {e["index"]: leaf_hash(base64.b64decode(e["leaf"])) for e in entries}
    indices = sorted(leaves)
    node_map = {(start, end): bytes.fromhex(h) for start, end, h in nodes}

    def mth(lo, hi):
        if not any(lo <= i < hi for i in indices):
            return node_map[(lo, hi)]
        if hi - lo == 1:
            return leaves[lo]
        k = split_point(hi - lo)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    paths = []
    for e in entries:
        try:
            paths.append([mth(lo, hi) for lo, hi in path_ranges(e["index"], 0, size)])
        except KeyError:
            paths.append(None)
    return paths


def heads_root_from_proof(session_id, length, head, proof):
    """The session-heads map root a proof leads to, as docs/proof-format.md section 5 writes it."""
    if len(proof) > 256:
        return None
    k = hashlib.sha256(session_id.encode()).digest()
    h = hashlib.sha256(b"\x00" + k + length.to_bytes(8, "big") + head).digest()
    for i, p in enumerate(proof):
        d = len(proof) - 1 - i
        bit = (k[d // 8] >> (7 - d % 8)) & 1
        h = node_hash(p, h) if bit else node_hash(h, p)
    return h


def parse_vkey(vkey):
    name, key_id, key = vkey.split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if raw[0] != 1 or len(raw) != 33:
        raise ValueError("not an Ed25519 verifier key")
    computed = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if computed.hex() != key_id:
        raise ValueError("key id does not match the key")
    return name, computed, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, name, key_id, key):
    split = note.rindex("\n\n")
    text, sigs = note[: split + 1], note[split + 2 :]
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise ValueError("bad signature line")
        signer, blob = line[2:].split(" ", 1)
        blob = base64.b64decode(blob, validate=True)
        if signer == name and blob[:4] == key_id:
            key.verify(blob[4:], text.encode())  # raises InvalidSignature
            return text
    raise ValueError("no signature by the pinned key")


def main():
    checks = []

    def check(name, ok, detail=""):
        checks.append(ok)
        print(("PASS" if ok else "FAIL"), name, detail)

    try:
        with open(sys.argv[1], "rb") as f:
            doc = json.loads(f.read())
        name, key_id, key = parse_vkey(sys.argv[2])
        assert doc["format"] in ("vargate-proof/3", "vargate-proof/2")
    except Exception as e:  # noqa: BLE001 - anything unreadable is exit 2
        print("error:", e)
        return 2

    check("pinned key", doc.get("log_vkey") == sys.argv[2])
    try:
        text = open_note(doc["checkpoint"], name, key_id, key)
        check("checkpoint signature", True)
    except (ValueError, InvalidSignature) as e:
        check("checkpoint signature", False, str(e))
        return 1
    lines = text.split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    heads_lines = [l for l in lines[3:] if l.startswith("vargate-session-heads ")]
    check("checkpoint origin", origin == name, origin)

    prev, last_index, session = None, -1, doc["session"]
    if doc["format"] == "vargate-proof/3":
        paths = plain_paths(size, doc["entries"], doc["nodes"])
    else:
        paths = [[bytes.fromhex(h) for h in e["inclusion_proof"]] for e in doc["entries"]]
    for i, entry in enumerate(doc["entries"]):
        leaf = base64.b64decode(entry["leaf"])
        proof = paths[i]
        included = proof is not None and verify_inclusion(entry["index"], size, leaf_hash(leaf), proof, root)
        check(f"inclusion of leaf {entry['index']}", included)
        record = json.loads(leaf)
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        chained = (
            canonical == leaf
            and record["v"] == 1
            and record["tenant"] == session["tenant"]
            and record["session_id"] == session["session_id"]
            and record["seq"] == i
            and record["prev"] == prev
            and entry["index"] > last_index
        )
        check(f"record seq {i}", chained)
        prev, last_index = leaf_hash(leaf).hex(), entry["index"]
    check("session length", len(doc["entries"]) == session["length"])
    check("session head", prev == session["head"])
    complete = False
    if len(heads_lines) == 1:
        heads_root = base64.b64decode(heads_lines[0].split(" ", 1)[1], validate=True)
        proof = [bytes.fromhex(h) for h in session["heads_proof"]]
        computed = heads_root_from_proof(session["session_id"], session["length"], bytes.fromhex(session["head"]), proof)
        complete = len(heads_root) == 32 and computed == heads_root
    check("session complete", complete)
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
