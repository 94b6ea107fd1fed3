"""The one way out: every file a command writes goes through a ``RunFolder``.

A command's output folder (a run, an export, a sweep, a report) is *claimed* first: a new folder is made and marked
with ``.zoo-suite``; an existing one is accepted only when it carries that marker (or is empty), so a folder holding
a user's own files is refused with one line that names it, before anything is written or renamed. Inside a claimed
folder no symbolic link is ever followed: every folder between the run folder and the file is made or checked
without following links, files are written to a private temporary name (``O_CREAT|O_EXCL|O_NOFOLLOW``) and renamed
into place, and a final name that is a link is refused. A run folder downloaded with ``plots -> /elsewhere`` or
``metrics.json -> ~/.bashrc`` therefore cannot send a write anywhere else.

Writers that are handed a path (``zoo.outputs.write_json``, ``save_figure``, ``SafeCheckpointIO``) use the module
functions ``write_bytes``/``write_text``/``open_write``/``checked_path``: they find the nearest marked folder above
the path and write through it, so every write into a run folder gets the same checks without each caller holding
the object. A path under no marked folder (a library user's own file) is written atomically, no more.

``replace_folder`` is the swap ``save_pretrained`` makes (assemble beside, rename the old one to ``NAME.old``,
rename the new one in); a ``NAME.old`` left by a save killed midway is recovered or cleared by the next one.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from ..errors import Diverged, InputError, RefusedFile

MARKER = ".zoo-suite"  # in every folder a command of this tool made: only those are written into again
RUN_NAME = re.compile(r"[A-Za-z0-9._-]+")
OLD = ".old"  # what replace_folder renames the previous version to while it swaps the new one in
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: temporary files are private (0600) until they are renamed into place


def check_run_name(name: str) -> str:
    """A run name is one path component: letters, digits, ``.``, ``_``, ``-``; not ``.`` or ``..``."""
    if not isinstance(name, str) or not RUN_NAME.fullmatch(name) or name in (".", ".."):
        raise InputError(f"--name {name!r}: a run name is one folder name made of letters, digits, '.', '_' and "
                         "'-' (no '/', not '.' or '..')")
    return name


def _link_refusal(link: Path, where: Path) -> RefusedFile:
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return RefusedFile(f"{link} is a symbolic link (to {target}); refusing to write through it: a write that "
                       f"follows a link could land outside {where}")


def inside(path: Path, root: Path) -> Path:
    """``path`` as an absolute path, after checking that it lies inside ``root`` as written (no ``..`` out of it)
    and that no folder between ``root`` and ``path`` (``path`` included) is a symbolic link. ``root`` itself may be
    one: it is the user's choice."""
    path, root = Path(os.path.abspath(path)), Path(os.path.abspath(root))
    if path != root and root not in path.parents:
        raise RefusedFile(f"{path} is outside {root}; refused to write there")
    folder = root
    for part in path.relative_to(root).parts:
        folder = folder / part
        if os.path.islink(folder):
            raise _link_refusal(folder, root)
    return path


def is_marked(folder: Path) -> bool:
    """``folder`` is a real folder (not a link) holding our marker as a regular file (not a link)."""
    try:
        return (not os.path.islink(folder) and folder.is_dir()
                and stat.S_ISREG(os.lstat(Path(folder) / MARKER).st_mode))
    except OSError:
        return False


class RunFolder:
    """A folder a command may write into: made by it and marked, or marked before. Build one with ``claim``
    (commands that write), ``open`` (commands that read or resume a folder they must not adopt) or
    ``containing`` (the marked folder above a path)."""

    def __init__(self, root: str | Path):  # checked by the constructors below; not called directly
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.root)!r})"

    @classmethod
    def claim(cls, path: str | Path, what: str = "--out", within: str | Path | None = None) -> RunFolder:
        """Make ``path`` ours to write: new (made and marked), empty (marked) or already marked. A non-empty
        folder without the marker, a file, or a link is refused with one line naming it. ``within``: the root
        (``--runs_dir``) it must lie inside, with no link on the way down."""
        path = inside(path, within) if within is not None else Path(os.path.abspath(path))
        if os.path.islink(path):
            raise _link_refusal(path, path.parent)
        RunFolder.containing(path / MARKER)  # inside a marked folder, no link on the way to it either
        if path.exists():
            if not path.is_dir():
                raise InputError(f"{path} exists and is not a folder; choose another {what}")
            if is_marked(path):
                return cls(path)
            if any(path.iterdir()):
                raise RefusedFile(f"{path} exists and was not written by zoo-suite (no {MARKER} file); refusing to "
                                  f"write into it or replace it: choose another {what} or move it away")
        path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:  # another process claimed it this instant
            if not is_marked(path):
                raise RefusedFile(f"{path}: {MARKER} is not a plain file; refusing to write there") from None
        else:
            with os.fdopen(fd, "w") as f:
                f.write(f"written by zoo-suite ({what})\n")
        return cls(path)

    @classmethod
    def open(cls, path: str | Path, what: str = "run folder") -> RunFolder:
        """An existing marked folder; anything else (missing, a link, unmarked) is refused: a reader or a resumed
        run must not adopt a folder this tool did not make."""
        path = Path(os.path.abspath(path))
        if os.path.islink(path):
            raise _link_refusal(path, path.parent)
        if not is_marked(path):
            raise RefusedFile(f"{path} is not a {what} written by zoo-suite (no {MARKER} file)")
        return cls(path)

    @classmethod
    def containing(cls, path: str | Path) -> RunFolder | None:
        """The nearest marked folder above ``path``; None when there is none. A link between it and ``path`` is
        refused (its target's marker, if any, is never looked at)."""
        link = None
        for folder in Path(os.path.abspath(path)).parents:
            if os.path.islink(folder):
                link = link or folder
            elif is_marked(folder):
                if link is not None:
                    raise _link_refusal(link, folder)
                return cls(folder)
        return None

    def _parts(self, rel: str | Path) -> tuple[str, ...]:
        parts = PurePosixPath(str(rel)).parts
        if not parts or PurePosixPath(str(rel)).is_absolute() or any(p in ("..", ".", "") for p in parts):
            raise InputError(f"{rel!r}: not a plain relative name inside {self.root}")
        return parts

    def subdir(self, rel: str | Path) -> Path:
        """``root/rel`` as a folder: each level made or checked without following links; a linked one refused."""
        folder = self.root
        for part in self._parts(rel):
            folder = folder / part
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            if os.path.islink(folder):
                raise _link_refusal(folder, self.root)
            if not folder.is_dir():
                raise InputError(f"{folder} exists and is not a folder; move it away")
        return folder

    def path(self, rel: str | Path) -> Path:
        """A checked path for a library that opens the file itself (matplotlib, Lightning, ONNX, SQLite): its
        folders exist and are no links, and the name itself is not a link."""
        parts = self._parts(rel)
        parent = self.subdir(PurePosixPath(*parts[:-1])) if len(parts) > 1 else self.root
        target = parent / parts[-1]
        if os.path.islink(target):
            raise _link_refusal(target, self.root)
        return target

    @contextlib.contextmanager
    def open_write(self, rel: str | Path, mode: str = "wb") -> Iterator:
        """A file opened for writing at a private temporary name (never through a link) and renamed onto
        ``rel`` when the block ends without an error, so a crash never leaves half a file."""
        target = self.path(rel)
        if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):  # a device, a FIFO, a folder
            raise InputError(f"{target} exists and is not a regular file; refusing to replace it (move it away)")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)  # O_EXCL|O_NOFOLLOW
        try:
            os.fchmod(fd, 0o666 & ~_UMASK)
            with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            if os.path.islink(target):  # made while we wrote: the rename would replace the link, refuse anyway
                raise _link_refusal(target, self.root)
            os.replace(tmp, target)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)

    def write_bytes(self, rel: str | Path, data: bytes) -> Path:
        with self.open_write(rel, "wb") as f:
            f.write(data)
        return self.root / rel

    def write_text(self, rel: str | Path, text: str) -> Path:
        return self.write_bytes(rel, text.encode("utf-8"))

    def replace_dir(self, rel: str | Path, build: Callable[[Path], None],
                    ours: Callable[[Path], bool] = is_marked) -> Path:
        """``rel`` replaced by a folder ``build(tmp)`` fills (see ``replace_folder``)."""
        return replace_folder(self.path(rel), build, ours)


def _rel(folder: RunFolder, path: str | Path) -> PurePosixPath:
    return PurePosixPath(Path(os.path.abspath(path)).relative_to(folder.root).as_posix())


@contextlib.contextmanager
def open_write(path: str | Path, mode: str = "wb") -> Iterator:
    """``RunFolder.open_write`` through the marked folder above ``path``; a path under none (a library user's
    own file) is still written atomically through a temporary name, its folders made, a linked name refused."""
    folder = RunFolder.containing(path)
    if folder is None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = RunFolder(path.parent)
        rel = path.name
    else:
        rel = _rel(folder, path)
    with folder.open_write(rel, mode) as f:
        yield f


def write_bytes(path: str | Path, data: bytes) -> Path:
    with open_write(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def checked_path(path: str | Path) -> Path:
    """``RunFolder.path`` for a path given whole: inside a marked folder its folders are made without following
    links and a linked name is refused; elsewhere only a linked final name is refused."""
    folder = RunFolder.containing(path)
    if folder is not None:
        return folder.path(_rel(folder, path))
    path = Path(path)
    if os.path.islink(path):
        raise _link_refusal(path, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def replace_folder(directory: str | Path, build: Callable[[Path], None], ours: Callable[[Path], bool]) -> Path:
    """Replace ``directory`` with a folder ``build(tmp)`` fills in a temporary folder beside it: the old one is
    renamed to ``NAME.old``, the new one into place, the old one removed, so a crash leaves one whole version.
    ``ours(folder)`` says whether an existing non-empty folder may be replaced. A ``NAME.old`` left by a save
    killed midway is recovered (when ``NAME`` is gone, it is the last whole version) or cleared (when ``NAME``
    is there, it is the newer one); a ``NAME.old`` that is not ours is refused, never deleted."""
    directory = checked_path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} exists and is not a folder; save somewhere else or move it away")
    if directory.is_dir() and any(directory.iterdir()) and not ours(directory):
        raise RefusedFile(f"{directory} exists and was not written by zoo-suite; refusing to replace it: save "
                          "somewhere else or move it away")
    old = directory.with_name(directory.name + OLD)
    if os.path.lexists(old):
        if os.path.islink(old) or not old.is_dir() or (any(old.iterdir()) and not ours(old)):
            raise RefusedFile(f"{old} is in the way of saving {directory} and was not written by zoo-suite; "
                              "move it away")
        if directory.exists():
            shutil.rmtree(old)
        else:
            old.rename(directory)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        build(tmp)
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp's 0700 was for while it was being filled
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return directory


def check_finite(state_dict: dict, path) -> None:
    """Refuse to save weights holding NaN or infinity: a diverged run must not replace a good checkpoint."""
    import torch  # here, so that writing text files stays free of it

    for name, tensor in state_dict.items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise Diverged(f"not saving {path}: weight {name} holds NaN or infinity (training diverged; "
                           "the previous checkpoint is kept)")
