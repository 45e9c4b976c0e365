"""The media type comes from the bytes alone (pure, no database)."""

from __future__ import annotations

import hashlib
import io
import zipfile

from events.documents.values import MediaType, invoice_key, sha256_of, sniff
from tests.documents.files import jpeg, ofd, pdf, png


def test_M12_the_type_is_read_from_the_content_not_the_claim() -> None:
    assert sniff(jpeg()) is MediaType.JPEG
    assert sniff(png()) is MediaType.PNG
    assert sniff(pdf("receipt")) is MediaType.PDF
    assert sniff(ofd()) is MediaType.OFD
    # An HTML page is not a PDF, whatever it is called; a ZIP without OFD.xml is not an OFD.
    assert sniff(b"<!DOCTYPE html><html><body>%PDF-1.7</body></html>") is None
    assert sniff(ofd(with_root=False)) is None
    assert sniff(b"") is None
    # A damaged archive with the ZIP magic is refused, not an exception.
    assert sniff(b"PK\x03\x04" + b"\x00" * 100) is None
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("sub/OFD.xml", "<x/>")  # not at the root
    assert sniff(nested.getvalue()) is None


def test_M12_the_name_is_the_sha256_and_invoice_numbers_compare_loosely() -> None:
    content = pdf("invoice 1")
    assert sha256_of(content) == hashlib.sha256(content).hexdigest()
    assert invoice_key("0440-0231 1234") == invoice_key("044002311234")
    assert invoice_key("ab-12") == "AB12"
