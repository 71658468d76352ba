"""Writing outputs safely: atomically, and never over an existing file without --force."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from decision.errors import UsageError


def write_output(path: Path, text: str | bytes | Iterable[str], *, force: bool, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) or bytes (xlsx) to ``path`` via a temporary file and an atomic rename.

    ``text`` may also be an iterable of strings, written piece by piece (a large JSON
    portfolio is never held whole in memory).

    ``mode`` gives the file's permissions (0o600 for a private key); by default the umask's.
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name")
    if path.exists() and not path.is_file():
        # The atomic rename would replace the device, pipe or socket itself (as root,
        # /dev/full or /dev/null included): an output is only ever a regular file.
        raise UsageError(f"{path}: is not a regular file (a device, pipe or socket); give a file name")
    if path.exists() and not force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: folder {path.parent} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(handle, "wb" if binary else "w", encoding=None if binary else "utf-8") as stream:
            if isinstance(text, str | bytes):
                stream.write(text)
            else:
                for piece in text:
                    stream.write(piece)
        # mkstemp creates owner-only files; give the output the usual umask permissions.
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
