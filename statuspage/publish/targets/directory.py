"""A local directory target, switched whole from one generation to the next."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from statuspage.publish import background
from statuspage.publish.render import Rendered
from statuspage.publish.targets.base import (
    MANIFEST,
    BeforeWrite,
    KeptMissing,
    Manifest,
    Outcome,
    changed_keys,
)

log = logging.getLogger(__name__)

# Threads that compress, write and link a directory target's files: zlib and the file system
# calls let go of the GIL, so a publish's files are written side by side.
WRITERS = 4


class DirectoryTarget:
    """A directory served by a static server (nginx's `root <dir>/current`).

    Each publish builds a new generation folder under `generations/`: unchanged files are hard
    links to the previous generation's (no bytes copied), changed ones are written, removed
    ones are simply absent; the manifest goes in last. Then `current`, a symlink, is swapped to
    it with one rename(2). A reader resolves `current` once per request, so it sees either the
    whole previous publish or the whole new one, never a mix; a file already open stays
    readable after its generation is removed. Two generations are kept, so a request that
    resolved the old one a moment ago still finds its files.

    Most of a publish's documents are kept, and their links cost a directory target more than
    writing the few it rendered (about 2,000 links on a page with 1,000 documents). `prepare`
    starts the new generation as a copy in links of the current one, on a thread, while the
    documents render; `publish` then writes over what changed and removes what went."""

    def __init__(self, url: str, root: Path, *, page: str = ""):
        self.url = url
        self.root = root
        self.page = page
        # Where a shared target reaches this page's `current` (set by `under`).
        self.entry: Path | None = None
        self._prepared: _Prepared | None = None

    def under(self, slug: str) -> DirectoryTarget:
        """Page `slug` in its own folder (`pages/<slug>`, with its own generations and
        `current`), reached as `current/p/<slug>`: every root generation holds `p`, a link to
        the folder `p` whose `<slug>` links to that page's `current`. Each page then switches
        on its own, atomically, and nginx (which follows links unless `disable_symlinks` says
        otherwise) serves the whole tree from `current`."""
        target = DirectoryTarget(f"{self.url} [p/{slug}]", self.root / "pages" / slug, page=slug)
        target.entry = self.root / "p" / slug
        return target

    @property
    def current(self) -> Path:
        return self.root / "current"

    def read_manifest(self) -> Manifest | None:
        try:
            return Manifest.loads((self.current / MANIFEST).read_bytes())
        except OSError:
            return None

    def write_manifest(self, manifest: Manifest) -> None:
        # Nothing to publish but the manifest: a generation prepared for it is not needed.
        self._discard_prepared()
        _write(self.current / MANIFEST, manifest.dumps())

    def prepare(self, previous: Manifest | None) -> None:
        """Link every object of the current generation into the next one, on a thread of its
        own (os.link lets go of the GIL): the renders go on meanwhile."""
        self._discard_prepared(at_once=True)
        if previous is None or not previous.objects:
            return
        try:
            old = self.current.resolve(strict=True)
        except OSError:
            return
        folder = self.root / "generations" / f"{PREPARED}{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        worker = ThreadPoolExecutor(1, thread_name_prefix="publish-prepare")
        lacking = worker.submit(_link_every, old, folder, sorted(previous.objects))
        worker.shutdown(wait=False)
        self._prepared = _Prepared(old, folder, lacking)

    def _discard_prepared(self, *, at_once: bool = False) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            # Its thread first: it may still be linking into the folder.
            prepared.lacking.exception()
            if at_once:
                _remove([prepared.folder])
            else:
                background.run(lambda: _remove([prepared.folder]))

    def _take_prepared(self, old: Path | None) -> tuple[Path, set[str]] | None:
        """The generation `prepare` made from `old` and the keys `old` lacked; None when there
        is none (or it was made from another generation, or its thread failed)."""
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            return None
        error = prepared.lacking.exception()
        if error is not None or prepared.old != old:
            if error is not None:
                log.warning("preparing %s failed (%s): writing it whole", self.url, error)
            background.run(lambda: _remove([prepared.folder]))
            return None
        return prepared.folder, prepared.lacking.result()

    def publish(
        self,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        previous: Manifest | None,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Outcome:
        outcome = Outcome(self.url)
        old = self.current.resolve() if self.current.exists() else None
        prepared = self._take_prepared(old)
        try:
            write, outcome.deleted = changed_keys(documents, manifest, previous)
        except KeptMissing:
            if prepared is not None:
                background.run(lambda: _remove([prepared[0]]))
            raise
        changed = set(write)
        generations = self.root / "generations"
        name = f"g{manifest.generation}-{uuid.uuid4().hex[:8]}"
        folder = generations / name
        try:
            if prepared is None:
                folder.mkdir(parents=True)
                self._fill(folder, old, documents, manifest, changed, outcome, before_write)
            else:
                os.rename(prepared[0], folder)
                self._finish(folder, prepared[1], documents, changed, outcome, before_write)
            if not self.page:
                # The root of a shared target: the other pages' documents (`p/<slug>/`),
                # each switched by its own publish.
                (folder / "p").symlink_to(Path("..") / ".." / "p")
            _write(folder / MANIFEST, manifest.dumps())
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            if prepared is not None:
                shutil.rmtree(prepared[0], ignore_errors=True)
            raise
        link = self.root / f".current-{uuid.uuid4().hex[:8]}"
        link.symlink_to(Path("generations") / name)
        os.replace(link, self.current)
        if self.entry is not None and not self.entry.is_symlink():
            # Made at the page's first publish only: a page never published leaves no name.
            self.entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.entry.with_name(f".{self.entry.name}.{uuid.uuid4().hex[:8]}")
            tmp.symlink_to(Path("..") / "pages" / self.entry.name / "current")
            os.replace(tmp, self.entry)
        self._prune(generations, keep={folder, *([old] if old else [])})
        return outcome

    def _fill(
        self,
        folder: Path,
        old: Path | None,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        changed: set[str],
        outcome: Outcome,
        before_write: BeforeWrite | None,
    ) -> None:
        """Make a new generation from nothing: the kept documents linked from `old`, the
        rendered ones linked when unchanged, else written."""
        missing = sorted(manifest.objects.keys() - documents.keys())
        if missing and old is None:
            raise KeptMissing(f"{missing[0]} is missing from {self.current}")
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="publish-write") as pool:
            # The kept documents in a few batches: one task each would cost more in the
            # handing over than the links themselves.
            step = max(64, len(missing) // WRITERS + 1)
            kept = [
                pool.submit(_link_all_kept, old, folder, missing[n : n + step])
                for n in range(0, len(missing), step)
            ]
            placed: list[tuple[str, Future[int | None]]] = []
            for key, doc in documents.items():
                if key in changed or old is None:
                    if before_write is not None:
                        before_write(key)
                    placed.append((key, pool.submit(_place, folder, key, doc, None)))
                else:
                    placed.append((key, pool.submit(_place, folder, key, doc, old)))
            for batch in kept:
                if lacking := batch.result():
                    raise KeptMissing(f"{lacking} is missing from {self.current}")
            for key, wrote in placed:
                size = wrote.result()
                if size is not None:
                    outcome.bytes_written += size
                    outcome.written.append(key)

    def _finish(
        self,
        folder: Path,
        lacking: set[str],
        documents: Mapping[str, Rendered],
        changed: set[str],
        outcome: Outcome,
        before_write: BeforeWrite | None,
    ) -> None:
        """Make a prepared generation (every object of the previous one, linked) this
        publish's: the changed documents written over their links, the removed ones gone."""
        kept_lacking = sorted(lacking - documents.keys() - set(outcome.deleted))
        if kept_lacking:
            raise KeptMissing(f"{kept_lacking[0]} is missing from {self.current}")
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="publish-write") as pool:
            placed: list[tuple[str, Future[int | None]]] = []
            for key, doc in documents.items():
                if key in changed or key in lacking:
                    if before_write is not None and key in changed:
                        before_write(key)
                    placed.append((key, pool.submit(_replace, folder, key, doc)))
            for key in outcome.deleted:
                for name in (key, f"{key}.gz"):
                    (folder / name).unlink(missing_ok=True)
            for key, wrote in placed:
                outcome.bytes_written += wrote.result() or 0
                outcome.written.append(key)

    def _prune(self, generations: Path, keep: set[Path]) -> None:
        """Remove every generation but the new one and the one before it, including any that
        a publish killed half-way left behind (never linked as `current`).

        Each is moved out of `generations/` at once (one rename), then its files are deleted
        on the publish's background thread (background.py): the new generation is already
        what readers get, so the deletion is no part of the publish's wait. A deletion cut
        short (the process ended) is finished by the next publish's."""
        kept = {k.resolve() for k in keep}
        # This publish's own folder for what it removes: no other deletion touches it
        # before its thread starts.
        trash = self.root / f"{REMOVED}{uuid.uuid4().hex[:8]}"
        for folder in generations.iterdir():
            if folder.is_dir() and folder.resolve() not in kept:
                trash.mkdir(exist_ok=True)
                os.replace(folder, trash / folder.name)
        leftovers = [p for p in self.root.glob(f"{REMOVED}*") if p != trash]
        if trash.is_dir() or leftovers:
            folders = [trash, *leftovers]
            background.run(lambda: _remove(folders))


# What a publish removed, being deleted (DirectoryTarget._prune): `<root>/.removed-<id>`.
REMOVED = ".removed-"


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class _Prepared:
    """A generation begun by DirectoryTarget.prepare: `old`'s objects linked into `folder`;
    `lacking` resolves to the keys `old` did not have."""

    old: Path
    folder: Path
    lacking: Future[set[str]]


# A generation being prepared (DirectoryTarget.prepare): `generations/next-<id>`, renamed
# `g<generation>-<id>` by the publish that takes it; removed like any other otherwise.
PREPARED = "next-"


def _link_every(old: Path, new: Path, keys: list[str]) -> set[str]:
    """Link each of `keys` (and its .gz) from `old` into `new`; returns those `old` lacks."""
    made: set[Path] = set()
    return {key for key in keys if not _link_kept(old, new, key, made)}


def _replace(folder: Path, key: str, doc: Rendered) -> int:
    """Write a document over its linked copy (a new file: the previous generation's, which
    the link shares, is not touched), and its gzip copy, or remove a copy it no longer has."""
    size = 0
    for name, data in ((key, doc.body), (f"{key}.gz", doc.gzip_body)):
        if data is None:
            (folder / name).unlink(missing_ok=True)
        else:
            _write(folder / name, data)
            size += len(data)
    return size


def _place(folder: Path, key: str, doc: Rendered, old: Path | None) -> int | None:
    """Put a rendered document (and its gzip copy) in the new generation: hard-linked from
    the previous one (`old`) when unchanged and there (None), else written (the bytes)."""
    names = [(key, doc.body), (key + ".gz", doc.gzip_body)]
    if old is not None and _link(old, folder, names):
        return None
    size = 0
    for file_name, data in names:
        if data is not None:
            _write(folder / file_name, data)
            size += len(data)
    return size


def _link(old: Path, new: Path, names: list[tuple[str, bytes | None]]) -> bool:
    """Hard-link an unchanged object (and its .gz) from the previous generation. False when
    the previous generation lacks it (then it is written)."""
    for file_name, data in names:
        if data is not None and not (old / file_name).is_file():
            return False
    for file_name, data in names:
        if data is None:
            continue
        target = new / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(old / file_name, target)
        except OSError:  # a file system without hard links: copy
            shutil.copyfile(old / file_name, target)
    return True


def _link_all_kept(old: Path | None, new: Path, keys: list[str]) -> str | None:
    """_link_kept for each of `keys`; the first one the previous generation lacks, or None."""
    made: set[Path] = set()
    for key in keys:
        if old is None or not _link_kept(old, new, key, made):
            return key
    return None


def _link_kept(old: Path, new: Path, key: str, made: set[Path]) -> bool:
    """Hard-link a document that was not rendered again (and its .gz, if it has one) from
    the previous generation. False when the previous generation lacks it. Most of a publish's
    documents are kept: each costs its links and nothing more (no existence checks first, each
    folder made once: `made`), about a third of the time of checking and linking each."""
    target = new / key
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    if not _hard_link(old / key, target):
        return False
    _hard_link(old / f"{key}.gz", new / f"{key}.gz")
    return True


def _hard_link(source: Path, target: Path) -> bool:
    """False when `source` does not exist (or is not a file)."""
    try:
        os.link(source, target)
    except (FileNotFoundError, IsADirectoryError):
        return False
    except OSError:  # a file system without hard links: copy
        if not source.is_file():
            return False
        shutil.copyfile(source, target)
    return True


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)
