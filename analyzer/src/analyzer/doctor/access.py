"""Whether the account that runs the nightly job can read a log, from the permission bits.

The doctor usually runs as root or as the admin, not as the analyzer's account, so
``os.access`` would answer for the wrong user: the account is named and the owner, group
and other bits are read as the kernel would for it (ACLs are not looked at).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import UsageError

READ = (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
SEARCH = (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gids: frozenset[int]

    @classmethod
    def named(cls, name: str) -> Account:
        try:
            entry = pwd.getpwnam(name)
        except KeyError as exc:
            raise UsageError(f"--user: no account named {name!r}") from exc
        groups = {group.gr_gid for group in grp.getgrall() if name in group.gr_mem}
        return cls(name, entry.pw_uid, frozenset({entry.pw_gid, *groups}))

    @classmethod
    def current(cls) -> Account:
        uid = os.geteuid()
        try:
            return cls.named(pwd.getpwuid(uid).pw_name)
        except KeyError:  # a uid without a passwd entry, as in some containers
            return cls(str(uid), uid, frozenset({os.getegid(), *os.getgroups()}))

    def may(self, path: Path, bits: tuple[int, int, int]) -> bool:
        """Whether the (owner, group, other) permission ``bits`` let this account in."""
        if self.uid == 0:
            return True
        info = path.stat()
        if info.st_uid == self.uid:
            return bool(info.st_mode & bits[0])
        if info.st_gid in self.gids:
            return bool(info.st_mode & bits[1])
        return bool(info.st_mode & bits[2])

    def can_read(self, path: Path) -> bool:
        """The file readable, its folder listable, every folder above it searchable."""
        folder = path.parent
        if not (self.may(path, READ) and self.may(folder, READ)):
            return False
        return all(self.may(parent, SEARCH) for parent in (folder, *folder.parents))


def describe_mode(path: Path) -> str:
    """``0640 root:adm``, for messages."""
    info = path.stat()
    owner = _name(pwd.getpwuid, info.st_uid)
    group = _name(grp.getgrgid, info.st_gid)
    return f"{stat.S_IMODE(info.st_mode):04o} {owner}:{group}"


def _name(lookup: Callable[[int], Sequence[object]], number: int) -> str:
    try:
        return str(lookup(number)[0])
    except KeyError:
        return str(number)
