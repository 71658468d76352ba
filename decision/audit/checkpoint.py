"""Checkpoints: a few lines that pin a store's history, meant to be kept elsewhere.

A hash chain held in one file proves nothing against whoever can write the file: they can
rewrite a run and recompute every later hash. A checkpoint records, at one moment, how
many runs the store held, the hash of the last one, and the Merkle root over all their
hashes (``decision.audit.merkle``). Kept outside the store (printed in a report, mailed,
committed to another repository), it lets anyone check later that the store still
extends it: the first ``runs`` records must give the same root. Signed with an Ed25519
key, it also proves who wrote it.

The text, one ``key value`` per line, ends with the signature lines when signed::

    decision audit checkpoint 1
    store 0b7c3f0e-...
    runs 20
    head 5d41...
    root 9a1f...
    time 2026-12-01T20:30:00.123456Z
    key ed25519 <base64 public key>
    signature <base64 signature of every line above the key line, with its newline>
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from decision.errors import DecisionError

HEADER = "decision audit checkpoint 1"
_FIELDS = ("store", "runs", "head", "root", "time")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(DecisionError):
    """A checkpoint or key file that cannot be read, or a signature that does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint says about a store."""

    store: str
    runs: int
    head: str
    root: str
    time: str
    key: str | None = None  # base64 Ed25519 public key, when signed
    signature: str | None = None

    def body(self) -> str:
        """The signed text: every line before the key line."""
        lines = [HEADER, *(f"{name} {getattr(self, name)}" for name in _FIELDS)]
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        """The whole file."""
        if self.signature is None:
            return self.body()
        return self.body() + f"key ed25519 {self.key}\nsignature {self.signature}\n"

    def line(self) -> str:
        """One line to print in a report: enough to find and compare the checkpoint."""
        signed = f", signed by key {key_fingerprint(self.key)}" if self.key else ""
        return f"checkpoint of store {self.store}: {self.runs} runs, head {self.head}, root {self.root}{signed}"


def key_fingerprint(public_key: str | None) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    if public_key is None:
        return "none"
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


def parse_checkpoint(text: str, source: str) -> Checkpoint:
    """Read a checkpoint file's text; ``source`` names it in errors."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != HEADER:
        raise CheckpointError(f"{source}:1: not a decision audit checkpoint (first line must be '{HEADER}')")
    values: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        name, _, value = line.partition(" ")
        if name in values:
            raise CheckpointError(f"{source}:{number}: {name} given twice")
        if name not in (*_FIELDS, "key", "signature"):
            raise CheckpointError(f"{source}:{number}: unknown line '{name}'")
        values[name] = value.strip()
    missing = [name for name in _FIELDS if name not in values]
    if missing:
        raise CheckpointError(f"{source}: missing {', '.join(missing)}")
    if not values["runs"].isdigit():
        raise CheckpointError(f"{source}: runs: not a count: {values['runs']!r}")
    for name in ("head", "root"):
        if not _HEX64.fullmatch(values[name]):
            raise CheckpointError(f"{source}: {name}: not a SHA-256 in hex: {values[name]!r}")
    key = values.get("key")
    if (key is None) != ("signature" not in values):
        raise CheckpointError(f"{source}: a key line needs a signature line and the other way round")
    if key is not None:
        kind, _, key = key.partition(" ")
        if kind != "ed25519":
            raise CheckpointError(f"{source}: key: only ed25519 keys are known, not {kind!r}")
    checkpoint = Checkpoint(
        store=values["store"],
        runs=int(values["runs"]),
        head=values["head"],
        root=values["root"],
        time=values["time"],
        key=key,
        signature=values.get("signature"),
    )
    if checkpoint.signature is not None and checkpoint.text() != text.replace("\r\n", "\n").rstrip("\n") + "\n":
        # The signature covers the exact lines; reordered or extra lines would not be covered.
        raise CheckpointError(f"{source}: lines are not in the order a checkpoint writes them")
    return checkpoint


# ----------------------------------------------------------------------------- keys


def generate_key() -> tuple[bytes, str]:
    """A new Ed25519 key pair: the private key as PEM bytes, the public key as the
    one-line text of a ``.pub`` file (``ed25519 <base64>``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, f"ed25519 {base64.b64encode(raw).decode()}\n"


def _private_key(pem: bytes, source: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{source}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{source}: not an Ed25519 private key")
    return key


def read_public_key(text: str, source: str) -> str:
    """The base64 public key of a ``.pub`` file (``ed25519 <base64>``)."""
    kind, _, value = text.strip().partition(" ")
    if kind != "ed25519":
        raise CheckpointError(f"{source}:1: not a decision public key (expected 'ed25519 <base64>')")
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise CheckpointError(f"{source}:1: the key is not base64") from None
    if len(raw) != 32:
        raise CheckpointError(f"{source}:1: an Ed25519 public key has 32 bytes, this one {len(raw)}")
    return base64.b64encode(raw).decode()


def sign(checkpoint: Checkpoint, pem: bytes, source: str) -> Checkpoint:
    """The checkpoint signed with the private key in ``pem``."""
    from cryptography.hazmat.primitives import serialization

    key = _private_key(pem, source)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = key.sign(checkpoint.body().encode("utf-8"))
    return Checkpoint(
        **{name: getattr(checkpoint, name) for name in _FIELDS},
        key=base64.b64encode(raw).decode(),
        signature=base64.b64encode(signature).decode(),
    )


def check_signature(checkpoint: Checkpoint, public_key: str, source: str) -> None:
    """Raise CheckpointError unless ``checkpoint`` is signed by ``public_key`` (base64)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if checkpoint.signature is None:
        raise CheckpointError(f"{source}: not signed, but a public key was given to check it with")
    if checkpoint.key != public_key:
        raise CheckpointError(
            f"{source}: signed by key {key_fingerprint(checkpoint.key)}, not by the given key "
            f"{key_fingerprint(public_key)}"
        )
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            signature, checkpoint.body().encode("utf-8")
        )
    except (InvalidSignature, ValueError):
        raise CheckpointError(f"{source}: the signature does not match its lines (forged or edited)") from None
