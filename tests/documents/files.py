"""Real files for the document tests, made by libraries (Pillow, fpdf2), and a small client for
the upload and download routes."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from fpdf import FPDF
from PIL import Image

from tests.live import LiveServer
from tests.meals.helpers import User


def jpeg(seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def png(seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, seed % 256, 30)).save(out, "PNG")
    return out.getvalue()


def pdf(text: str) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def ofd(with_root: bool = True) -> bytes:
    """An OFD container (GB/T 33190): a ZIP whose root holds OFD.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if with_root:
            archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return out.getvalue()


async def upload(server: LiveServer, user: User | None, content: bytes,
                 content_type: str = "application/octet-stream") -> httpx.Response:
    headers = {"Content-Type": content_type}
    if user is not None:
        headers["Authorization"] = f"Bearer {user.token}"
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.post(server.url + "/documents", content=content, headers=headers)


async def download(server: LiveServer, user: User | None, sha256: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {user.token}"} if user is not None else {}
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.get(f"{server.url}/documents/{sha256}", headers=headers)


async def stored(server: LiveServer, user: User, content: bytes) -> str:
    response = await upload(server, user, content)
    assert response.status_code in (200, 201), response.text
    sha: str = response.json()["sha256"]
    return sha


ATTACHED = """
  __typename
  ... on MutationOk { position replayed }
  ... on DocumentMutationOk { mealId billId sha256 downloadUrl }
  ... on MutationError { message code rule }
  ... on NotFoundError { field }
  ... on ValidationError { problems { field rule message } }
"""


async def attach(user: User, meal_id: str, sha256: str, kind: str = "RECEIPT",
                 invoice_number: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"mealId": meal_id, "sha256": sha256, "kind": kind}
    if invoice_number is not None:
        payload["invoiceNumber"] = invoice_number
    return await user.mutate("attachMealDocument", payload, fields=ATTACHED)
