"""Opening an .xlsx/.xlsm package safely.

Everything a user can hand us -- a missing file, a text file, a truncated
download, a zip bomb -- ends as one UserError line naming the file.
"""

from __future__ import annotations

# zipfile decodes the names of parts written without its UTF-8 flag (most
# workbooks' parts) as cp437, and imports that codec on the first such name:
# imported here with the package, not in the middle of the first read.
import encodings.cp437  # noqa: F401  (imported for its side effect)
import errno
import os
import posixpath
import secrets
import zipfile
import zlib
from contextlib import contextmanager
from xml.etree import ElementTree as ET

from ..errors import UserError
from ..userfiles import require_regular_file

# A real workbook's parts expand to a few hundred MB at most (the 100,000-row
# benchmark sheet is ~100 MB of XML); anything far beyond is refused.
MAX_PART_BYTES = 1 << 30          # one part
MAX_TOTAL_BYTES = 3 << 30         # all parts read
MAX_RATIO = 500                   # uncompressed / compressed, for parts over 50 MB (real sheets: 5-50x)

OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
STRICT_OFFICE_DOC = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"


class Package:
    """A read-only view of the zip with size-checked part reads."""

    def __init__(self, path: str, max_part: int = MAX_PART_BYTES, max_total: int = MAX_TOTAL_BYTES):
        self.path = str(path)
        self.max_part, self.max_total = max_part, max_total
        self._read_total = 0
        require_regular_file(self.path, "a workbook")
        try:
            self.zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile:
            raise UserError(f"{self.path}: not an .xlsx/.xlsm workbook (it is not a zip archive, "
                            f"or the archive is truncated)") from None
        except OSError as exc:
            raise UserError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        self.names = {info.filename: info for info in self.zip.infolist()}
        self._check_sizes()

    def _check_sizes(self) -> None:
        total = 0
        for info in self.names.values():
            total += info.file_size
            if info.file_size > self.max_part:
                raise UserError(f"{self.path}: part {info.filename} would expand to "
                                f"{info.file_size / 2**20:.0f} MiB, past the {self.max_part / 2**20:.0f} MiB "
                                f"limit (a zip bomb?)")
            if info.file_size > 50 << 20 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise UserError(f"{self.path}: part {info.filename} expands {info.file_size // info.compress_size}x "
                                f"(a zip bomb?)")
        if total > self.max_total:
            raise UserError(f"{self.path}: its parts would expand to {total / 2**30:.1f} GiB, past the "
                            f"{self.max_total / 2**30:.0f} GiB limit (a zip bomb?)")

    def close(self) -> None:
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        """A part's bytes, never more than its declared size or the limits
        (declared sizes can lie), with damage reported as one line."""
        info = self.names.get(name)
        if info is None:
            raise UserError(f"{self.path}: the workbook has no part {name}")
        if info.flag_bits & 0x1:
            raise UserError(f"{self.path}: part {name} is encrypted; sheetnet reads unencrypted workbooks only")
        if info.compress_type not in _READABLE_METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise UserError(f"{self.path}: part {name} is compressed with {method}, which sheetnet cannot read "
                            f"(Excel writes Deflate; re-save the file with Excel or LibreOffice)")
        limit = min(info.file_size, self.max_part)
        try:
            with self.zip.open(info) as fh:
                data = fh.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise UserError(f"{self.path}: part {name} is damaged ({exc}); the file may be truncated") from None
        if len(data) > limit:
            raise UserError(f"{self.path}: part {name} expands past its declared size (a zip bomb?)")
        self._read_total += len(data)
        if self._read_total > self.max_total:
            raise UserError(f"{self.path}: the parts read expand past the limit (a zip bomb?)")
        return data

    def xml(self, name: str) -> ET.Element:
        data = self.read(name)
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise UserError(f"{self.path}: part {name} is not well-formed XML ({exc})") from None

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (type, target part name) for a part ('' for the package)."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if rels_name not in self.names:
            return {}
        out = {}
        for rel in self.xml(rels_name):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type", ""), resolved)
        return out

    def workbook_part(self) -> str:
        for rtype, target in self.relationships("").values():
            if rtype in (OFFICE_DOC, STRICT_OFFICE_DOC):
                return target
        if "xl/workbook.xml" in self.names:
            return "xl/workbook.xml"
        raise UserError(f"{self.path}: no workbook part found (is this an Excel file?)")


# Compression methods Python's zipfile reads here (bzip2 and LZMA only when
# Python was built with them); Excel itself writes Stored and Deflate only.
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd", 99: "AES encryption"}


def _write_failure(path: str, exc: OSError) -> UserError:
    reason = {errno.ENAMETOOLONG: "the name is too long", errno.EISDIR: "it is a folder",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied",
              errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
              errno.ENOTDIR: "a part of the path is not a folder"}.get(exc.errno, exc.strerror or str(exc))
    return UserError(f"{path}: cannot write it ({reason})")


# Temporaries this process is writing.  A signal can land between any two
# bytecodes -- after the file is made but before its name is returned, or
# before a clean-up is in place (inside ExitStack.enter_context) -- and
# holding signals off does not help: another thread (torch's, BLAS's) may
# take SIGTERM, and Python runs the handler in the main thread wherever it
# is.  So a temporary's name is recorded here before the file is created (an
# error keeps it recorded), and `sheetnet` removes whatever is left on its
# way out.
_LIVE_TEMPORARIES: set[str] = set()


def _new_temporary(folder: str, suffix: str) -> str:
    """Create an empty private file named .sheetnet-tmp-XXXXXXXX<suffix> in
    `folder`, its name recorded first (see _LIVE_TEMPORARIES)."""
    while True:
        tmp = os.path.join(folder, f".sheetnet-tmp-{secrets.token_hex(4)}{suffix}")
        _LIVE_TEMPORARIES.add(tmp)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return tmp
        except FileExistsError:                 # not ours: another name
            _LIVE_TEMPORARIES.discard(tmp)


def remove_temporaries() -> None:
    """Remove every temporary still being written (the CLI's last act after
    a signal or an error, whichever window it struck in)."""
    for tmp in list(_LIVE_TEMPORARIES):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _LIVE_TEMPORARIES.discard(tmp)


@contextmanager
def atomic_output(path: str):
    """Yield a temporary file name beside `path`; on success it replaces
    `path` (with the permissions a plain open() would give), on any failure
    it is removed -- so a failed write never leaves a partial file."""
    path = str(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise UserError(f"{path}: cannot write it (it is a folder)")
    try:
        tmp = _new_temporary(folder, os.path.splitext(path)[1][:16])
    except OSError as exc:
        raise _write_failure(path, exc) from None
    try:
        yield tmp
        mask = os.umask(0)            # the temporary is private (0600)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise _write_failure(path, exc) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        _LIVE_TEMPORARIES.discard(tmp)


@contextmanager
def zip_output(path: str, **options):
    """A zip archive being written to a temporary beside `path` (atomic_output):
    finished and moved into place on success; on any failure -- a signal
    included -- abandoned unfinished and removed.  zipfile's own close() would
    refuse to finish while a member's write handle is open (a SIGTERM that
    lands inside writestr), and its ValueError would hide the real reason."""
    with atomic_output(path) as tmp:
        archive = zipfile.ZipFile(tmp, "w", **options)
        try:
            yield archive
        except BaseException:
            fp, archive.fp = archive.fp, None      # close() and __del__ then leave it alone
            if fp is not None:
                fp.close()
            raise
        archive.close()

