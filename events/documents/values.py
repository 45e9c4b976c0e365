"""What a document is, judged from its bytes alone: the media type from its magic bytes (never
the client's claim), its size within the limit, and its SHA-256, which is its name.

Pure: no I/O. OFD (GB/T 33190, the format of China's electronic invoices) is a ZIP container
whose root holds `OFD.xml`; the ZIP's central directory is read (bounded by the size limit),
nothing is decompressed.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_MAX_BYTES = 5_000_000  # a phone photo of a receipt is 1-4 MB; within the body limit
MAX_ZIP_ENTRIES = 10_000  # an OFD has tens of entries; beyond this it is not one
MAX_INVOICE_NUMBER = 40  # 发票号码 is 8 or 20 digits; 发票代码 + 号码 fit as well
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_INVOICE = re.compile(r"^[0-9A-Za-z-]+$")


class MediaType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"
    OFD = "application/ofd"


class DocumentKind(StrEnum):
    RECEIPT = "receipt"  # 小票, the restaurant's receipt
    INVOICE = "invoice"  # 发票, the tax invoice


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document as the log refers to it."""

    sha256: str
    size: int
    media_type: MediaType


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sniff(content: bytes) -> MediaType | None:
    """The media type the bytes themselves show, or None when they are none of the four."""
    if content.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if content.startswith(b"%PDF-"):
        return MediaType.PDF
    if content.startswith(b"PK\x03\x04") and _is_ofd(content):
        return MediaType.OFD
    return None


def _is_ofd(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return False
            return any(info.filename == "OFD.xml" for info in infos)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        # A damaged or hostile archive is simply not an OFD document.
        return False


def valid_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))


def invoice_key(number: str) -> str:
    """An invoice number as compared for duplicates: no spaces or dashes, upper case."""
    return number.replace("-", "").replace(" ", "").upper()


def invoice_number_problem(number: str) -> str | None:
    if not 1 <= len(number) <= MAX_INVOICE_NUMBER:
        return f"invoiceNumber has 1 to {MAX_INVOICE_NUMBER} characters"
    if not _INVOICE.match(number):
        return "invoiceNumber holds only letters, digits and dashes"
    return None
