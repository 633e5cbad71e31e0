"""A bounded reader of zip archives, shared by the .npz and TorchScript formats.

zipfile never unpacks a member past its declared size, so checking the declared sizes
before reading bounds what reading an archive can cost."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from ..errors import LimitExceeded, ModelFormatError
from ..floats.forward import MAX_FLOAT_ENTRIES

#: an archive may unpack to at most this many bytes (checked before anything is unpacked)
MAX_UNPACKED_BYTES = 8 * MAX_FLOAT_ENTRIES + (1 << 24)
MAX_ZIP_MEMBERS = 100_000

_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
               zlib.error, EOFError, OSError, ValueError, struct.error, KeyError)


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """A zip archive whose declared unpacked size is within the limits (zipfile never
    unpacks a member past its declared size, so this bounds what reading it can cost)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS as exc:
        raise ModelFormatError(f"{what} is not a readable zip archive: "
                               f"{_one_line(exc)}") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise LimitExceeded(f"{what} has {len(infos)} zip members, above {MAX_ZIP_MEMBERS}")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise LimitExceeded(f"{what} would unpack to {total} bytes, above "
                            f"{MAX_UNPACKED_BYTES}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise ModelFormatError(f"{what} has two zip members with the same name")
    return zf


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
