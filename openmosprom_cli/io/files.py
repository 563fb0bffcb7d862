"""Writing files so that nothing is half-written and nothing escapes its folder.

Every output is written to a temporary file beside its target and renamed into
place; a crash leaves at most a stray ``*.omp-tmp`` file. Its name carries the
writer's pid, so a later run removes only the files of writers that are gone,
and only while it holds the season's lock.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from openmosprom_cli.checkpoints import checkpoint
from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.i18n import _

TEMP_SUFFIX = ".omp-tmp"
PRIVATE_MODE = 0o600

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE_FILE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\[\]]')
_UNSAFE_SHEET_CHARS = re.compile(r"[\x00-\x1f\x7f\[\]:*?/\\]")


@contextlib.contextmanager
def atomic_path(target: Path, *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success."""
    target = Path(target)
    mode = _mode(private)
    tmp = temporary_beside(target, private=private)
    try:
        yield tmp
        # A writer that recreated the file (say, after something removed it) made it with the umask's mode.
        os.chmod(tmp, mode)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        checkpoint("file.written")
        os.replace(tmp, target)
        checkpoint("file.replaced")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CannotCreateError(_("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
                                ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode(private: bool) -> int:
    # mkstemp creates files 0600; widen only what holds no personal data.
    return PRIVATE_MODE if private else 0o644 & ~_umask()


def temporary_beside(target: Path, *, private: bool) -> Path:
    """An empty file ``.<name>.<pid>.<random>.omp-tmp`` beside ``target``.

    Its pid tells a later run whether its writer is still in flight (:func:`remove_stray_temp_files`).
    """
    try:
        make_folder(target.parent, private=private)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX,
                                        dir=target.parent)
        os.close(fd)
        os.chmod(tmp_name, _mode(private))
    except OSError as exc:
        raise CannotCreateError(_("cannot create {path}: {reason}").format(path=target, reason=exc.strerror or exc)
                                ) from None
    return Path(tmp_name)


def make_folder(folder: Path, *, private: bool = True) -> None:
    """Create ``folder`` (and its parents) if missing; a private one is owner-only whatever the umask.

    Another local user who could write in a season's folders could swap a roster before it is emailed.
    """
    folder = Path(folder)
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if private:
        os.chmod(folder, 0o700)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(target: Path, data: bytes, *, private: bool = False) -> None:
    with atomic_path(target, private=private) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path, text: str, *, private: bool = False, encoding: str = "utf-8") -> None:
    atomic_write_bytes(target, text.encode(encoding), private=private)


def atomic_write_with(target: Path, writer: Callable[[Path], None], *, private: bool = False) -> None:
    """Let ``writer`` fill a temporary path (e.g. ``workbook.save``), then rename it into place."""
    with atomic_path(target, private=private) as tmp:
        writer(tmp)


def remove_stray_temp_files(folder: Path) -> list[Path]:
    """Remove temporary files that writers now gone left behind in ``folder`` and below.

    Call it only while holding the season's lock: a file whose writer is alive
    is in flight, and stays.
    """
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.rglob(f"*{TEMP_SUFFIX}"):
        if writer_alive(path):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def writer_alive(temp_file: Path) -> bool:
    """Whether the process named in a temporary file's name still runs (``.<name>.<pid>.<random>.omp-tmp``)."""
    parts = temp_file.name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False  # an earlier release's name: no pid to ask
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # this process writes no file while it cleans up
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _safe_stem(name: str, fallback: str, max_len: int) -> str:
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cf", "Cc", "Cs", "Co"})
    name = _UNSAFE_FILE_CHARS.sub("_", name)
    name = name.replace("..", "_").strip(" ._")
    if not name:
        name = fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    return name[:max_len].rstrip(" .") or fallback


def safe_file_name(name: str, *, suffix: str = "", fallback: str = "file", max_len: int = 80) -> str:
    """A file name that cannot climb out of its folder nor trip Windows."""
    return _safe_stem(name, fallback, max_len) + suffix


def unique_name(name: str, taken: set[str], *, max_len: int | None = None) -> str:
    """``name``, or ``name (2)``, ``name (3)``…, case-insensitively unused; records the choice in ``taken``."""
    lowered = {t.lower() for t in taken}
    candidate, n = name, 1
    while candidate.lower() in lowered:
        n += 1
        tail = f" ({n})"
        base = name[: max_len - len(tail)] if max_len else name
        candidate = f"{base}{tail}"
    taken.add(candidate)
    return candidate


def safe_sheet_title(title: str, *, fallback: str = "Лист") -> str:
    """Excel sheet titles: at most 31 characters, none of ``[]:*?/\\``, no leading/trailing apostrophe."""
    title = _UNSAFE_SHEET_CHARS.sub("_", unicodedata.normalize("NFC", str(title)))
    title = "".join(ch for ch in title if unicodedata.category(ch) not in {"Cf", "Cc"})
    title = title.strip(" '")[:31].strip(" '")
    return title or fallback


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing anything that would resolve outside ``folder``."""
    folder = Path(folder).resolve()
    target = (folder / name).resolve()
    if folder != target.parent and folder not in target.parents:
        raise CannotCreateError(_("refusing to write {name}: it is outside {folder}").format(name=repr(name),
                                                                                             folder=folder))
    return target
