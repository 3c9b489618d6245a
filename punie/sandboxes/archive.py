"""Safe unpacking of sdist archives (``.tar.gz``, ``.tar.bz2``, ``.tgz``, ``.zip``).

A member is refused (and nothing is left behind) when its name is absolute or has a ``..``
component, when it would be written through a symlink, when it is a device or fifo, when a
symlink or hard link points outside the target, or when the archive is implausibly large.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO
from zlib import error as zlib_error

from punie.sandboxes.errors import UnsafeArchive

__all__ = ["MAX_MEMBERS", "MAX_TOTAL_BYTES", "safe_extract"]

MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
_CHUNK = 1 << 16


class _Extractor:
    def __init__(self, archive: Path, target: Path) -> None:
        self.archive = archive
        self.target = target
        self.total = 0
        self.links: list[Path] = []

    def refuse(self, member: str, why: str) -> UnsafeArchive:
        return UnsafeArchive(f"{self.archive.name}: refusing member {member!r}: {why}")

    def destination(self, name: str, *, replace_link: bool = True) -> Path:
        """Validate a member name and return where it goes; nothing on the way may be a link.

        An existing symlink at the destination itself is removed (a later member replaces it)
        unless ``replace_link`` is false.
        """
        if "\x00" in name or "\\" in name:
            raise self.refuse(name, "odd characters in the name")
        posix = PurePosixPath(name)
        if posix.is_absolute() or name.startswith("/"):
            raise self.refuse(name, "absolute path")
        parts = [part for part in posix.parts if part not in ("", ".")]
        if any(part == ".." for part in parts):
            raise self.refuse(name, "path escapes the target ('..')")
        if not parts:
            return self.target
        current = self.target
        for part in parts[:-1]:
            current = current / part
            if current.is_symlink():
                raise self.refuse(name, "path goes through a symlink")
            if current.exists() and not current.is_dir():
                raise self.refuse(name, "a parent is not a directory")
        dest = current / parts[-1]
        if replace_link and dest.is_symlink():
            dest.unlink()
        return dest

    def count(self, name: str, size: int) -> None:
        self.total += max(size, 0)
        if self.total > MAX_TOTAL_BYTES:
            raise self.refuse(name, f"archive expands to more than {MAX_TOTAL_BYTES} bytes")

    def inside(self, path: Path) -> bool:
        resolved = Path(os.path.realpath(path))
        return resolved == self.target or self.target in resolved.parents

    def write_file(self, name: str, dest: Path, source: IO[bytes], mode: int) -> None:
        if dest.is_dir():
            raise self.refuse(name, "a file member replaces a directory")
        dest.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        perm = 0o755 if mode & 0o111 else 0o644
        fd = os.open(dest, flags, perm)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
        os.chmod(dest, perm)

    def symlink(self, name: str, dest: Path, link_target: str) -> None:
        if link_target.startswith("/") or "\x00" in link_target:
            raise self.refuse(name, f"symlink to absolute path {link_target!r}")
        if not self.inside(dest.parent / link_target):
            raise self.refuse(name, f"symlink points outside the target ({link_target!r})")
        if dest.exists() and dest.is_dir():
            raise self.refuse(name, "a symlink member replaces a directory")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.unlink()
        os.symlink(link_target, dest)
        self.links.append(dest)

    def check_links(self) -> None:
        """Links made later can change where earlier ones lead: check them all at the end."""
        for link in self.links:
            if not self.inside(link):
                rel = link.relative_to(self.target).as_posix()
                raise self.refuse(
                    rel, f"symlink resolves outside the target ({os.readlink(link)!r})"
                )

    def tar(self) -> None:
        try:
            with tarfile.open(self.archive, "r:*") as tar:
                for index, member in enumerate(tar):
                    if index >= MAX_MEMBERS:
                        raise self.refuse(member.name, f"more than {MAX_MEMBERS} members")
                    self.tar_member(tar, member)
        except (tarfile.TarError, EOFError, zlib_error, gzip.BadGzipFile) as exc:
            raise UnsafeArchive(f"{self.archive.name}: not a readable archive ({exc})") from None

    def tar_member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        name = member.name
        dest = self.destination(name)
        if member.isdir():
            if dest.exists() and not dest.is_dir():
                raise self.refuse(name, "a directory member replaces a file")
            dest.mkdir(parents=True, exist_ok=True)
        elif member.isreg():
            self.count(name, member.size)
            source = tar.extractfile(member)
            if source is None:
                raise self.refuse(name, "unreadable file member")
            with source:
                self.write_file(name, dest, source, member.mode)
        elif member.issym():
            self.symlink(name, dest, member.linkname)
        elif member.islnk():
            self.hardlink(name, dest, member.linkname)
        else:
            raise self.refuse(name, "device, fifo or other special file")

    def hardlink(self, name: str, dest: Path, link_target: str) -> None:
        """Hard links are materialized as copies of an earlier member inside the target."""
        try:
            source = self.destination(link_target, replace_link=False)
        except UnsafeArchive:
            raise self.refuse(name, f"hard link to {link_target!r} outside the target") from None
        if not self.inside(source) or not source.is_file() or source.is_symlink():
            raise self.refuse(name, f"hard link to {link_target!r}, which is not an earlier file")
        self.count(name, source.stat().st_size)
        with open(source, "rb") as handle:
            self.write_file(name, dest, handle, source.stat().st_mode)

    def zip(self) -> None:
        try:
            with zipfile.ZipFile(self.archive) as archive:
                infos = archive.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise self.refuse(
                        infos[MAX_MEMBERS].filename, f"more than {MAX_MEMBERS} members"
                    )
                for info in infos:
                    name = info.filename
                    dest = self.destination(name)
                    unix_mode = info.external_attr >> 16
                    if stat.S_ISLNK(unix_mode):
                        raise self.refuse(name, "symlinks in zip archives are not supported")
                    if info.is_dir():
                        dest.mkdir(parents=True, exist_ok=True)
                        continue
                    self.count(name, info.file_size)
                    with archive.open(info) as source:
                        self.write_file(name, dest, source, unix_mode)
        except (zipfile.BadZipFile, zlib_error) as exc:
            raise UnsafeArchive(f"{self.archive.name}: not a readable archive ({exc})") from None


def safe_extract(archive: Path, target: Path) -> Path:
    """Unpack ``archive`` into ``target`` (created; must not exist or be empty).

    On any refusal the partly extracted ``target`` is removed and :class:`UnsafeArchive` is
    raised naming the archive and the member.
    """
    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise UnsafeArchive(f"extraction target {target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    extractor = _Extractor(archive, target)
    try:
        if archive.name.endswith(".zip"):
            extractor.zip()
        else:
            extractor.tar()
        extractor.check_links()
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
