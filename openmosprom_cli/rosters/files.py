"""An export's files as one set: staged, swapped in together, recorded by their sha256, checked before sending.

``rosters export`` writes every file into a staging folder inside the output
folder (owner-only), and moves them all into place just before its
transaction commits, so an export interrupted while writing leaves the
previous files untouched. Each site's workbook is recorded with the sha256 of
its bytes; ``rosters email`` attaches a workbook only when its bytes are still
the ones recorded (:func:`check_exported_files`), so a file left by an export
interrupted mid-swap, or edited by hand, is never mailed under another
export's fingerprint. Once the new files are in place, still before the
COMMIT, the files of the previous export that it did not write again are
removed (:func:`remove_retired_files`): an export killed after its COMMIT
leaves no file that no record names, and one killed before it leaves records
naming missing files, which ``rosters email`` refuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.checkpoints import checkpoint
from openmosprom_cli.errors import BadDataError, CannotCreateError, MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.files import TEMP_SUFFIX, inside, make_folder, writer_alive

# ``.export.<pid>.<random>.omp-tmp``: the writer's pid tells a later run whether the folder is in flight.
STAGING_PREFIX = ".export."


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- writing an export as one set ------------------------------------------------------------

class StagedExport:
    """A staging folder inside ``out_dir``: files are written here, then moved into ``out_dir`` together."""

    def __init__(self, out_dir: Path, folder: Path):
        self.out_dir = out_dir
        self.folder = folder
        self.names: list[str] = []
        self.last_names: list[str] = []

    def path(self, name: str, *, moved_last: bool = False) -> Path:
        """Where to write the file that will become ``out_dir/name``; files are moved in the order asked for,
        but those ``moved_last`` after the rest."""
        inside(self.out_dir, name)  # refuses a name that would land outside the output folder
        (self.last_names if moved_last else self.names).append(name)
        return inside(self.folder, name)

    def final_path(self, name: str) -> Path:
        return inside(self.out_dir, name)

    def swap_in(self) -> list[Path]:
        """Move every staged file into place; returns their final paths."""
        moved = []
        try:
            for name in [*self.names, *self.last_names]:
                target = self.final_path(name)
                os.replace(inside(self.folder, name), target)
                checkpoint("file.replaced")
                moved.append(target)
        except OSError as exc:
            raise CannotCreateError(_("cannot move the new rosters into {folder}: {reason}").format(
                folder=self.out_dir, reason=exc.strerror or exc), hint=_export_again()) from None
        return moved


@contextlib.contextmanager
def staged_export(out_dir: Path) -> Iterator[StagedExport]:
    """A new owner-only staging folder in ``out_dir``, removed afterwards whatever happens."""
    out_dir = Path(out_dir)
    try:
        make_folder(out_dir, private=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}.", suffix=TEMP_SUFFIX, dir=out_dir))
    except OSError as exc:
        raise CannotCreateError(_("cannot create a folder in {folder}: {reason}").format(
            folder=out_dir, reason=exc.strerror or exc)) from None
    try:
        yield StagedExport(out_dir.resolve(), folder.resolve())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stray_staging(out_dir: Path) -> list[Path]:
    """Remove the staging folders that killed exports left in ``out_dir``; only while holding the season's lock."""
    removed: list[Path] = []
    if not Path(out_dir).is_dir():
        return removed
    for folder in Path(out_dir).glob(f"{STAGING_PREFIX}*{TEMP_SUFFIX}"):
        if folder.is_dir() and not folder.is_symlink() and not writer_alive(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def remove_retired_files(recorded: Iterable[Path], written: Iterable[Path], out_dir: Path) -> list[Path]:
    """Remove the recorded files of an earlier export that this one did not write again.

    Only files the tool recorded as its own, only those directly inside
    ``out_dir`` (an earlier export elsewhere is left alone), and never a
    symbolic link: a site that lost its roster or whose file name changed
    must not leave an old list that could be read or sent as current.
    """
    out_dir = Path(out_dir).resolve()
    keep = {Path(p).resolve() for p in written}
    removed = []
    for path in dict.fromkeys(Path(p) for p in recorded):
        if path.is_symlink() or path.parent.resolve() != out_dir:
            continue
        if path.resolve() in keep or path.suffix.lower() != ".xlsx" or not path.is_file():
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


# -- before sending ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportedFile:
    site_id: str
    path: Path
    sha256: str  # "" when an earlier release exported it


def check_exported_files(files: Iterable[ExportedFile]) -> None:
    """Refuse, naming the sites, any workbook whose bytes are not the ones its export recorded.

    A missing file is a missing input (exit 66); a file that differs, or whose
    bytes were never recorded, is bad data (exit 65). Nothing is sent either way.
    """
    missing, differ, unrecorded = [], [], []
    for file in files:
        try:
            actual = file_sha256(file.path)
        except FileNotFoundError:
            missing.append(file)
            continue
        except OSError as exc:
            raise MissingInputError(_("cannot read the roster {file}: {reason}").format(
                file=file.path, reason=exc.strerror or exc), hint=_export_again()) from None
        if not file.sha256:
            unrecorded.append(file.site_id)
        elif actual != file.sha256:
            differ.append(file.site_id)
    if missing:
        raise MissingInputError(_("the rosters of {sites} are missing").format(
            sites=", ".join(f"{f.site_id} ({f.path})" for f in missing)), hint=_export_again())
    parts = []
    if differ:
        parts.append(_("the roster files of {sites} are not the ones last exported (an export was interrupted, or "
                       "a file was changed by hand)").format(sites=", ".join(differ)))
    if unrecorded:
        parts.append(_("the rosters of {sites} were exported by an earlier release, which did not record their "
                       "contents").format(sites=", ".join(unrecorded)))
    if parts:
        raise BadDataError(_("{problems}; no message was written or sent").format(problems="; ".join(parts)),
                           hint=_export_again())


def _export_again() -> str:
    # Made when needed, not at import: the text is in the language of the moment.
    return _("Run `openmosprom rosters export` again, then `openmosprom rosters email`.")
