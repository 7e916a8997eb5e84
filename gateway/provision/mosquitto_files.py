"""What Mosquitto reads: password-file lines and ACL blocks, and merging them into its files.

Password lines are in Mosquitto 2's own format, the one ``mosquitto_passwd``
writes: ``user:$7$<iterations>$<salt b64>$<PBKDF2-HMAC-SHA512 b64>``, so no
Mosquitto tool is needed on the gateway host. The iteration count is
Mosquitto's default (101): the passwords are 192 random bits, which no
iteration count makes easier or harder to guess, and a broker restarted in
front of a whole fleet pays the count once per reconnecting device.

The ACL grants per user (``user <id>`` and its ``topic`` lines), not by
``pattern ... %u``: a pattern applies to every user the broker knows, so an
operator's or a bridge's account whose name equals a device id (or a device
later named like one) could speak for that device; per-user lines give a
user exactly what is written under its name and nothing else, and the ACL
file says who may do what. Each block is fenced by marker comments, so a
block is found and replaced (re-provisioning) or removed by its user name.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import tempfile
from pathlib import Path

from heatwatch.contract import DEVICE_ID_PATTERN, TOPIC_ROOT

PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default (Mosquitto 2.0)
SALT_BYTES = 12  # as mosquitto_passwd
PASSWORD_BYTES = 24  # 192 bits, 32 URL-safe characters: nothing to quote in TOML or a shell

# what a device may do on the wire (heatwatch/contract.py): publish its streams and the
# acknowledgements of commands, receive the commands meant for it
DEVICE_PUBLISHES = ("telemetry", "event", "status", "ack")
DEVICE_RECEIVES = ("command",)

# a broker user name heatwatch writes into Mosquitto's files: a device id (the same rule, so no
# ':' that would split a password line, no '/', '+', '#' that would widen a topic, no newline)
_USER_NAME = re.compile(DEVICE_ID_PATTERN)


class BrokerFileError(ValueError):
    """A broker file cannot take the lines; the message says which file and why."""


def check_user_name(name: str) -> str:
    if not _USER_NAME.fullmatch(name):
        raise ValueError(f"{name!r}: letters, digits, '_', '.', '-' only (starting with a letter or digit), "
                         "at most 64")
    return name


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def password_line(user: str, password: str, *, salt: bytes | None = None,
                  iterations: int = PBKDF2_ITERATIONS) -> str:
    """One line of Mosquitto's password file (no newline), as ``mosquitto_passwd`` writes it."""
    check_user_name(user)
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    b64 = base64.b64encode
    return f"{user}:$7${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def password_matches(line: str, password: str) -> bool:
    """Whether a ``$7$`` password-file line accepts ``password`` (as Mosquitto checks it)."""
    _user, _, hashed = line.strip().partition(":")
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]), dklen=len(expected))
    return secrets.compare_digest(digest, expected)


def _fence(kind: str, user: str, rules: list[str]) -> str:
    return "\n".join([f"# heatwatch {kind} {user} (begin)", f"user {user}", *rules,
                      f"# heatwatch {kind} {user} (end)"]) + "\n"


def device_acl(device: str) -> str:
    """A device writes its own streams and acks and reads its own commands; nothing else."""
    check_user_name(device)
    base = f"{TOPIC_ROOT}/{device}"
    return _fence("device", device, [f"topic write {base}/{s}" for s in DEVICE_PUBLISHES]
                  + [f"topic read {base}/{s}" for s in DEVICE_RECEIVES])


def gateway_acl(user: str) -> str:
    """The gateway (every worker shares the user) reads every device's streams and acks and
    writes every device's commands; its shared subscription ($share/<group>/...) is checked
    against the same topics."""
    check_user_name(user)
    return _fence("gateway", user, [f"topic read {TOPIC_ROOT}/+/{s}" for s in DEVICE_PUBLISHES]
                  + [f"topic write {TOPIC_ROOT}/+/{s}" for s in DEVICE_RECEIVES])


# ---- merging into the broker's own files ------------------------------------

def merge_password_line(path: Path, line: str, *, replace: bool) -> str:
    """Put ``line`` into Mosquitto's password file: replace the user's line when ``replace``
    (new credentials), else append it (a user already there is an error). Returns "added" or
    "replaced"."""
    user = line.split(":", 1)[0]
    lines = _read_lines(path)
    found = [i for i, old in enumerate(lines) if old.split(":", 1)[0] == user]
    if found and not replace:
        raise BrokerFileError(f"{path}: already has a password for {user!r} (--rotate replaces it)")
    if found:
        lines[found[0]] = line
        for i in reversed(found[1:]):
            del lines[i]
    else:
        lines.append(line)
    _write_lines(path, lines)
    return "replaced" if found else "added"


def merge_acl_block(path: Path, block: str) -> str:
    """Put an ACL block into Mosquitto's ACL file, replacing the block of the same user and kind
    (found by its marker comments) or appending it. Returns "added", "replaced" or "unchanged".
    A ``user`` line for the same name outside heatwatch's markers is an error: Mosquitto would
    add both sets of rules, and nobody would know which were meant."""
    first = block.splitlines()[0]
    begin, end = first, first.replace("(begin)", "(end)")
    user_line = block.splitlines()[1]
    lines = _read_lines(path)
    start = lines.index(begin) if begin in lines else None
    stop = lines.index(end, start) if start is not None and end in lines[start:] else None
    if start is not None and stop is None:
        raise BrokerFileError(f"{path}: {begin!r} has no matching {end!r}; fix the file by hand")
    outside = lines if start is None else lines[:start] + lines[stop + 1:]  # type: ignore[operator]
    if any(ln.strip().split() == user_line.split() for ln in outside):
        raise BrokerFileError(f"{path}: has its own {user_line!r} section; remove it, then run this again")
    new = block.rstrip("\n").splitlines()
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")  # a blank line between blocks
        lines += new
        result = "added"
    else:
        result = "unchanged" if lines[start:stop + 1] == new else "replaced"  # type: ignore[operator]
        lines[start:stop + 1] = new  # type: ignore[operator]
    if result != "unchanged":
        _write_lines(path, lines)
    return result


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        # made here it would be root's, and Mosquitto, which reads it as its own user, could not
        raise BrokerFileError(f"{path}: no such file; make it readable by Mosquitto's user first: "
                              f"install -o mosquitto -g mosquitto -m 600 /dev/null {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BrokerFileError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def _write_lines(path: Path, lines: list[str]) -> None:
    """Replace the file in one rename, so Mosquitto reloading meanwhile reads the old or the new
    file, never half of one; the new file keeps the old one's mode and owner (Mosquitto runs as
    its own user and must still read it)."""
    try:
        st = path.stat()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n" if lines else "")
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0:
                os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BrokerFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
