"""Output folders and files that cannot destroy anything.

A command writes its results into one folder (`--out`). flowsim writes there only when
the folder does not exist, is empty, or holds results that flowsim wrote for the same
kind of command (its manifest.json says which). Anything else is refused unless the
user passes `--force`, and even then no file that flowsim did not write is deleted: such
files are carried into the new folder. The folder can never hold the command's own
input files, the current folder or the root.

Writing is whole or nothing. Results go into a staging folder beside the target, named
unpredictably and created exclusively (`tempfile.mkdtemp`), which then takes the
target's place in one atomic exchange (Linux's `renameat2(RENAME_EXCHANGE)`; where that
is missing, two renames). A lock file beside the target (`.NAME.lock`, held with
`flock`) keeps two commands from writing one folder at once: the second is refused at
once, before it simulates anything. Staging folders left by a killed command are
removed by the next command that takes the lock.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from ..errors import InputError

MANIFEST = "manifest.json"
# The commands that write a results folder, and what marks each one's manifest in
# folders written before manifests named their command.
MANIFEST_MARKS = {
    "run": "resolved_scenario",
    "compare": "baseline",
    "explore": "exploration",
    "sweep": "vary",
    "calibrate": "objective_before",
    "sensitivity": "method",
}
T = TypeVar("T")


def _refuse(folder: Path, reason: str, option: str = "--out") -> InputError:
    return InputError(reason, key=str(folder), source=option)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest.json as a table, or None when there is no readable one."""
    path = folder / MANIFEST
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def manifest_command(doc: dict[str, Any]) -> str | None:
    """The command that wrote a manifest: its `command` field, or what its fields show."""
    named = doc.get("command")
    if isinstance(named, str) and named in MANIFEST_MARKS:
        return named
    return next((c for c, mark in MANIFEST_MARKS.items() if mark in doc), None)


def written_by_flowsim(folder: Path, doc: dict[str, Any]) -> set[str]:
    """The names directly in `folder` that flowsim wrote, by its manifest."""
    names = {MANIFEST}
    files = doc.get("files")
    if isinstance(files, dict):
        names |= {str(name).split("/")[0] for name in files}
    scenarios = doc.get("scenarios")
    if isinstance(scenarios, list):
        names |= {str(name) for name in scenarios}
    return names


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no other way to read it here: set briefly, then restore
    os.umask(mask)
    return mask


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _first_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    return path


class OutputFolder:
    """A results folder claimed for one command: checked, locked, then written whole.

        with OutputFolder(out, "run", inputs=loaded.files) as target:
            result = run(...)                       # refused folders fail before this
            target.write(lambda staging: ...)       # fill the staging folder
    """

    def __init__(self, path: Path | str, command: str, *, inputs: Iterable[Path] = (),
                 force: bool = False, option: str = "--out",
                 identity: dict[str, Any] | None = None) -> None:
        if command not in MANIFEST_MARKS:
            raise ValueError(f"unknown command {command!r}")
        self.path = Path(os.path.abspath(path))
        self.command = command
        self.inputs = tuple(Path(p) for p in inputs)
        self.force = force
        self.option = option
        # Manifest fields (the scenario's name, say) that results it may replace must share.
        self.identity = identity or {}
        self._lock_fd: int | None = None
        self._claimed_here: list[bool] = []

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r}, {self.command!r})"

    @property
    def lock_path(self) -> Path:
        return self.path.parent / f".{self.path.name}.lock"

    # -- claiming ------------------------------------------------------------------

    def __enter__(self) -> "OutputFolder":
        # Nested `with` blocks share one claim; the outermost releases it.
        self._claimed_here.append(self._lock_fd is None)
        self.claim()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._claimed_here.pop():
            self.release()

    def check(self) -> None:
        """Refuse, with one line, a folder this command must not write."""
        target, option = self.path, self.option
        if target.parent == target:
            raise _refuse(target, "is the root folder; give a folder of its own", option)
        if _inside(Path.cwd().resolve(), target.resolve()):
            raise _refuse(target, "holds the current folder; give a new folder for the "
                          "results", option)
        real = target.resolve()
        for path in self.inputs:
            if _inside(path.resolve(), real):
                raise _refuse(target, f"holds {path}, an input of this command; give "
                              "another folder for the results", option)
        if os.path.islink(target):
            raise _refuse(target, "is a symbolic link; give the folder itself", option)
        if not target.exists():
            ancestor = _first_existing(target.parent)
            if not ancestor.is_dir():
                raise _refuse(target, f"cannot be made: {ancestor} is a file", option)
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise _refuse(target, f"cannot be made: {ancestor} is not writable", option)
            return
        if not target.is_dir():
            raise _refuse(target, "is a file, not a folder", option)
        if not target.stat().st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
            raise _refuse(target, "is read-only", option)
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise _refuse(target, f"cannot be replaced: {target.parent} is not writable",
                          option)
        if not any(target.iterdir()):
            return
        doc = read_manifest(target)
        found = manifest_command(doc) if doc is not None else None
        if self.force:
            return
        if found == self.command:
            self._check_identity(target, doc or {})
            return
        if found is None:
            raise _refuse(target, "holds files flowsim did not write; give another folder, "
                          "or pass --force (which keeps those files)", option)
        raise _refuse(target, f"holds the results of `flowsim {found}`, not of `flowsim "
                      f"{self.command}`; give another folder, or pass --force (which keeps "
                      "files flowsim did not write)", option)

    def _check_identity(self, target: Path, doc: dict[str, Any]) -> None:
        """Results of the same command for another scenario, or from other files, are
        not this command's to replace."""
        for field, value in self.identity.items():
            if doc.get(field) != value:
                raise _refuse(target, f"holds the results of {field} {doc.get(field)!r}, not "
                              f"{value!r}; give another folder, or pass --force to replace "
                              "them", self.option)
        theirs = [entry.get("path") for entry in doc.get("inputs", [])
                  if isinstance(entry, dict)]
        ours = list(dict.fromkeys(str(p) for p in self.inputs))
        same = [str(Path(p).resolve()) for p in theirs] == [str(Path(p).resolve()) for p in ours]
        if self.inputs and theirs and not same:
            raise _refuse(target, f"holds results made from {', '.join(theirs)}, not from "
                          f"{', '.join(ours)}; give another folder, or pass --force to "
                          "replace them", self.option)

    def claim(self) -> None:
        """Check the folder, take its lock and clear what a killed command left."""
        if self._lock_fd is not None:
            return
        self.check()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refuse(self.path, f"cannot be made ({exc.strerror})", self.option) from None
        try:
            self._lock()
            self._clear_stale()
        except BaseException:  # a signal may come at any moment: leave no lock behind
            self.release()
            raise

    def _lock(self) -> None:
        """Open and flock the lock file; `_lock_fd` is set only once the lock is ours."""
        path = self.lock_path
        for _ in range(10):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                reason = ("is a symbolic link" if exc.errno == errno.ELOOP
                          else f"cannot be created ({exc.strerror})")
                raise _refuse(self.path, f"its lock file {path.name} {reason}",
                              self.option) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BaseException as exc:
                holder = (os.read(fd, 32).decode("ascii", "replace").strip()
                          if isinstance(exc, BlockingIOError) else "")
                os.close(fd)
                if not isinstance(exc, BlockingIOError):
                    raise
                raise _refuse(self.path, f"is being written by another flowsim command "
                              f"(process {holder or 'unknown'}); wait for it to finish or give "
                              "another folder", self.option) from None
            self._lock_fd = fd
            # The lock file may have been removed and made anew since we opened it.
            try:
                same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                return
            self._lock_fd = None
            os.close(fd)
        raise _refuse(self.path, "its lock file keeps changing; try again", self.option)

    def release(self) -> None:
        """Remove the lock file, if the lock is ours, and close it."""
        if self._lock_fd is None:
            return
        fd, self._lock_fd = self._lock_fd, None
        try:
            if os.stat(self.lock_path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(fd)

    def _clear_stale(self) -> None:
        prefixes = (f".{self.path.name}.partial-", f".{self.path.name}.old-")
        for entry in self.path.parent.iterdir():
            if entry.name.startswith(prefixes) and stat.S_ISDIR(entry.lstat().st_mode):
                shutil.rmtree(entry, ignore_errors=True)

    # -- writing -------------------------------------------------------------------

    def scratch(self, suffix: str) -> Path:
        """A folder beside the target that outlives one command (a sweep's finished
        points): a real folder of this user's, never a link someone planted."""
        if self._lock_fd is None:
            raise RuntimeError("claim the folder first")
        path = self.path.with_name(self.path.name + suffix)
        try:
            info = path.lstat()
        except FileNotFoundError:
            return path
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise _refuse(path, "is not a folder this user made (a link or a file); remove "
                          "it and run again", self.option)
        return path

    def write(self, fill: Callable[[Path], T]) -> T:
        """Fill a new staging folder, then put it in the target's place in one step."""
        with self:
            return self._write(fill)

    def _write(self, fill: Callable[[Path], T]) -> T:
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-",
                                        dir=self.path.parent))
        try:
            staging.chmod(0o777 & ~current_umask())  # mkdtemp's 0700; results are shared
            result = fill(staging)
            if self.path.is_dir():
                carry_foreign_files(self.path, staging)
                exchange(staging, self.path)
            else:
                os.rename(staging, self.path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # the old folder, or a failed one
        return result


def carry_foreign_files(old: Path, new: Path) -> None:
    """Link into `new` every file of `old` that flowsim did not write (by its manifest)."""
    doc = read_manifest(old)
    ours = written_by_flowsim(old, doc) if doc is not None else set()
    for entry in old.iterdir():
        dest = new / entry.name
        if entry.name in ours:
            if entry.is_dir() and not entry.is_symlink() and read_manifest(entry) is not None:
                dest.mkdir(exist_ok=True)
                carry_foreign_files(entry, dest)
            continue
        if os.path.lexists(dest):
            raise InputError(f"holds {entry.name}, which flowsim did not write, where it "
                             "writes a file of that name; move it and run again",
                             key=str(old), source="--out")
        if entry.is_symlink():
            os.symlink(os.readlink(entry), dest)
        elif entry.is_dir():
            shutil.copytree(entry, dest, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, dest)


def _link_or_copy(src: str | Path, dest: str | Path) -> None:
    try:
        os.link(src, dest, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dest, follow_symlinks=False)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Any:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


_EXCHANGE = _renameat2()


def exchange(a: Path, b: Path) -> None:
    """Swap two folders' names in one atomic step (two renames where the system cannot)."""
    if _EXCHANGE is not None:
        done = _EXCHANGE(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if done == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(b))
    hold = Path(tempfile.mkdtemp(prefix=f".{b.name}.old-", dir=b.parent))
    os.rename(b, hold / "old")
    os.rename(a, b)
    os.rename(hold / "old", a)
    hold.rmdir()


def check_file(path: Path | str, *, ours: Callable[[Path], bool], force: bool = False,
               option: str = "--output") -> Path:
    """Refuse a file that `write_file` must not replace: a folder, a link, or a file
    flowsim did not write (unless `force`), or one in a folder that cannot be written."""
    path = Path(os.path.abspath(path))
    if os.path.islink(path):
        raise _refuse(path, "is a symbolic link; give the file itself", option)
    if path.is_dir():
        raise _refuse(path, "is a folder; give the file to write", option)
    if path.exists() and not force and not ours(path):
        raise _refuse(path, "exists and flowsim did not write it; give another name, or "
                      "pass --force to replace it", option)
    ancestor = _first_existing(path.parent)
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise _refuse(path, f"cannot be written in {ancestor}", option)
    return path


def write_file(path: Path | str, text: str, *, ours: Callable[[Path], bool],
               force: bool = False, option: str = "--output") -> Path:
    """Write a single file whole: an exclusive temporary file beside it, then one rename.

    An existing file is replaced only when `ours(path)` says flowsim wrote it, or with
    `force`; a folder or a link at `path` is refused.
    """
    path = check_file(path, ours=ours, force=force, option=option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refuse(path, f"cannot be written ({exc.strerror})", option) from None
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            os.fchmod(out.fileno(), 0o666 & ~current_umask())
        os.replace(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    return path


def starts_with(marker: str) -> Callable[[Path], bool]:
    """`ours` for write_file: the file's first kilobyte holds `marker`."""

    def check(path: Path) -> bool:
        try:
            with open(path, "rb") as existing:
                return marker.encode("utf-8") in existing.read(1024)
        except OSError:
            return False

    return check
