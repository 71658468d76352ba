"""Merkle trees over hashes, as certificate-transparency logs build them (RFC 6962, 2.1).

A leaf's hash is ``sha256(0x00 || data)``, an inner node's ``sha256(0x01 || left ||
right)``; a tree of ``n`` leaves splits at the largest power of two below ``n``. The root
of the first ``n`` leaves never changes when leaves are appended, which is what lets a
checkpoint of a store's first ``n`` runs be checked against the store later. An
inclusion proof is the list of sibling hashes from a leaf up to the root: it proves one
leaf is in a tree without showing the other leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """The root hash over the leaves' data (``sha256(b"")`` for no leaves)."""
    hashes = [leaf_hash(data) for data in leaves]
    return _root(hashes) if hashes else hashlib.sha256(b"").digest()


def _root(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root(hashes[:k]), _root(hashes[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree over ``leaves`` (RFC 6962, 2.1.1)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    return _path(index, [leaf_hash(data) for data in leaves])


def _path(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*_path(index, hashes[:k]), _root(hashes[k:])]
    return [*_path(index - k, hashes[k:]), _root(hashes[:k])]


def root_from_proof(data: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that leaf ``data`` at ``index`` with ``proof`` implies in a tree of ``size``
    leaves, or None when the proof has the wrong shape (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        return None
    node, last = index, size - 1
    current = leaf_hash(data)
    for sibling in proof:
        if last == 0:
            return None
        if node % 2 == 1 or node == last:
            current = node_hash(sibling, current)
            if node % 2 == 0:
                # A right-edge node with no sibling at this level: climb until it has one.
                while node % 2 == 0 and node != 0:
                    node //= 2
                    last //= 2
        else:
            current = node_hash(current, sibling)
        node //= 2
        last //= 2
    return current if last == 0 else None
