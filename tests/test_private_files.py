"""What `make run` writes is readable by this user alone, old files and directories included."""

import os
import stat
from pathlib import Path

from stack.private_files import make_private_dir, open_private_log, read_or_make_secret


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret"
    secret = read_or_make_secret(path)
    assert read_or_make_secret(path) == secret
    assert len(secret) >= 32
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


def test_an_old_readable_secret_is_kept_but_made_private(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("kept-from-an-older-run\n")
    path.chmod(0o644)
    assert read_or_make_secret(path) == "kept-from-an-older-run"
    assert mode(path) == 0o600


def test_an_existing_open_directory_is_closed(tmp_path: Path) -> None:
    old = tmp_path / "var"
    old.mkdir()
    old.chmod(0o755)
    make_private_dir(old)
    assert mode(old) == 0o700


def test_a_log_is_created_private(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "rasa.log"
    os.close(open_private_log(log))
    assert (mode(log), mode(log.parent)) == (0o600, 0o700)
