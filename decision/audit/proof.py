"""One domain's recorded outcome, proven on its own against a checkpoint.

A proof holds the domain's result as recorded, the path from its hash to the run's
``results_root`` (``decision.audit.merkle``), the run's hashed content and previous
hash (so the run's hash can be recomputed), and the path from the run's hash to the root
of a checkpoint. Whoever holds a trusted copy of the checkpoint can check it without the
store, and sees of the other domains nothing but hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from decision.audit.checkpoint import Checkpoint, check_signature, key_fingerprint
from decision.audit.merkle import inclusion_proof, root_from_proof
from decision.audit.store import AuditStore, AuditStoreError, canonical_json, chain_hash, sha256_hex
from decision.errors import DecisionError

FORMAT = "decision audit proof 1"


class ProofError(DecisionError):
    """A proof that cannot be read."""


def make_proof(store: AuditStore, run_id: int, domain_id: str, checkpoint: Checkpoint) -> dict[str, Any]:
    """The proof that run ``run_id`` recorded ``domain_id``'s result, against ``checkpoint``
    (which must be of this store, cover the run, and be extended by the store)."""
    record = store.get(run_id)
    if not record.self_contained:
        raise AuditStoreError(
            f"{store.path}: run {run_id} was recorded before results had their own hashes (schema 1): "
            "it cannot be proven alone"
        )
    index = next((i for i, r in enumerate(record.results) if r.id == domain_id), None)
    if index is None:
        known = ", ".join(r.id for r in record.results)
        raise AuditStoreError(f'{store.path}: run {run_id} has no domain "{domain_id}" (it classified: {known})')
    if checkpoint.runs < run_id:
        raise AuditStoreError(
            f"the checkpoint counts {checkpoint.runs} runs: it does not cover run {run_id}; make a newer one"
        )
    problems = store.extends(checkpoint)
    if problems:
        raise AuditStoreError(f"{store.path}: does not extend the checkpoint: {'; '.join(problems)}")
    record_hashes = store.record_hashes(checkpoint.runs)
    result_hashes = record.result_hashes
    return {
        "format": FORMAT,
        "store": checkpoint.store,
        "run_id": run_id,
        "domain": domain_id,
        "result": json.loads(store.blob(result_hashes[index])),
        "result_sha256": result_hashes[index],
        "results_index": index,
        "results_size": len(result_hashes),
        "results_path": [h.hex() for h in inclusion_proof([bytes.fromhex(h) for h in result_hashes], index)],
        "record": {"prev_hash": record.prev_hash, "content": record.content, "hash": record.hash},
        "tree_size": checkpoint.runs,
        "record_path": [h.hex() for h in inclusion_proof([bytes.fromhex(h) for h in record_hashes], run_id - 1)],
        "checkpoint": {"runs": checkpoint.runs, "head": checkpoint.head, "root": checkpoint.root},
    }


@dataclass
class ProofCheck:
    """What checking a proof found."""

    ok: bool
    lines: list[str]


def _hexes(value: Any, name: str) -> list[bytes]:
    if not isinstance(value, list):
        raise ProofError(f"{name}: not a list of hashes")
    try:
        return [bytes.fromhex(item) for item in value]
    except (TypeError, ValueError):
        raise ProofError(f"{name}: not a list of hashes in hex") from None


def check_proof(
    proof: Any, checkpoint: Checkpoint, *, public_key: str | None = None, checkpoint_source: str = "checkpoint"
) -> ProofCheck:
    """Check ``proof`` against a trusted ``checkpoint``, without the store."""
    if not isinstance(proof, dict) or proof.get("format") != FORMAT:
        raise ProofError(f"not a decision audit proof (format must be {FORMAT!r})")
    try:
        result, record = proof["result"], proof["record"]
        run_id, domain = int(proof["run_id"]), str(proof["domain"])
        index, size, tree_size = int(proof["results_index"]), int(proof["results_size"]), int(proof["tree_size"])
        prev_hash, content, record_hash = str(record["prev_hash"]), str(record["content"]), str(record["hash"])
        result_sha = str(proof["result_sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofError(f"a field is missing or malformed: {exc}") from None
    results_path = _hexes(proof.get("results_path"), "results_path")
    record_path = _hexes(proof.get("record_path"), "record_path")
    failures: list[str] = []
    lines: list[str] = []

    def expect(condition: bool, good: str, bad: str) -> None:
        (lines if condition else failures).append(good if condition else bad)

    expect(
        isinstance(result, dict) and sha256_hex(canonical_json(result).encode("utf-8")) == result_sha,
        f"result of {domain} hashes to {result_sha[:12]}...",
        "the result does not hash to result_sha256 (edited)",
    )
    expect(isinstance(result, dict) and result.get("id") == domain, "", f"the result is not of domain {domain}")
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProofError("record.content is not the JSON of a run")
    expect(data.get("run_id") == run_id, "", f"the record is of run {data.get('run_id')}, not {run_id}")
    try:
        results_root = bytes.fromhex(str(data.get("results_root")))
    except ValueError:
        results_root = b""
    got = root_from_proof(bytes.fromhex(result_sha), index, size, results_path) if len(result_sha) == 64 else None
    expect(
        got is not None and got == results_root,
        f"it is result {index + 1} of {size} under the run's results root",
        "the result is not under the run's results root",
    )
    expect(
        chain_hash(prev_hash, content) == record_hash,
        f"run {run_id}'s content hashes to {record_hash[:12]}...",
        "the run's content does not hash to its hash (edited)",
    )
    expect(
        proof.get("store") == checkpoint.store,
        "",
        f"the proof is of store {proof.get('store')}, the checkpoint of store {checkpoint.store}",
    )
    expect(
        tree_size == checkpoint.runs,
        "",
        f"the proof is against a checkpoint of {tree_size} runs, this one counts {checkpoint.runs}",
    )
    got_root = root_from_proof(bytes.fromhex(record_hash), run_id - 1, tree_size, record_path)
    expect(
        got_root is not None and got_root.hex() == checkpoint.root,
        f"run {run_id} is in the checkpoint's {checkpoint.runs} runs (root {checkpoint.root[:12]}...)",
        "the run is not in the checkpoint's tree (root differs)",
    )
    if public_key is not None:
        try:
            check_signature(checkpoint, public_key, checkpoint_source)
            lines.append(f"the checkpoint is signed by key {key_fingerprint(public_key)}")
        except DecisionError as exc:
            failures.append(str(exc))
    elif checkpoint.signature is not None:
        lines.append(
            f"the checkpoint is signed by key {key_fingerprint(checkpoint.key)} (not checked: pass --public-key)"
        )
    lines = [line for line in lines if line]
    return ProofCheck(ok=not failures, lines=failures if failures else lines)
