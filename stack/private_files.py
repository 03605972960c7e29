"""Files only this user may read: the data directory, secrets made once, logs.

Everything `make run` writes (the shop, logs, Redis's data, the secrets) is private to the user
who runs it: other accounts on the machine must not read a conversation or forge a call.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Files made by us or any child we start are readable and writable by this user alone.
PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# 32 random bytes: far beyond guessing, and URL- and config-file-safe once encoded.
SECRET_BYTES = 32


def make_private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing; either way only this user may enter it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    # An existing directory keeps its old mode through mkdir: an older run may have made it
    # readable by everyone.
    path.chmod(PRIVATE_DIR_MODE)
    return path


def open_private_log(path: Path) -> int:
    """A file descriptor appending to `path`, which is created readable by this user alone."""
    make_private_dir(path.parent)
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE)


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text`; the file is never readable by others, not even briefly."""
    make_private_dir(path.parent)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def read_or_make_secret(path: Path) -> str:
    """The secret kept in `path`, made on first use so it survives restarts."""
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(SECRET_BYTES))
    path.chmod(PRIVATE_FILE_MODE)
    return path.read_text().strip()
