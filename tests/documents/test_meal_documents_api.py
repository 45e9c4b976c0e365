"""Receipts and invoices of a meal's cost (M12) through the real server: real JPEG, PNG and PDF
files uploaded with a real HTTP client, stored under their SHA-256, named by the event in the
log, downloaded with the meal's visibility; bad uploads refused without a trace."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg

from events.shared.actors import Role
from events.store.event_store import EventStore
from events.store.verify import verify_chain
from tests.documents.files import attach, download, jpeg, ofd, pdf, png, stored, upload
from tests.live import LiveServer
from tests.meals.flows import seeded, signed_meal
from tests.meals.helpers import User, register_customer
from tests.random_refs import random_id

DOCUMENTS = """query($id: ID!, $at: Int) { mealRequest(id: $id, atLeast: $at) {
  documents { sha256 size mediaType kind invoiceNumber attachedBy downloadUrl } } }"""


async def held_meal(store: EventStore, staff: User, boss: User) -> str:
    """A meal of `staff` with its cost recorded (and signed), written with an earlier clock."""
    customer = await register_customer(store)
    meal_at = datetime.now(UTC) - timedelta(days=3)
    await seeded(store, meal_at)
    return await signed_meal(store, customer, f"Jade Garden {random_id()}", meal_at, 52_000,
                             staff.actor, boss.actor)


async def documents_rows(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM kehu_log.documents")
    return count


async def test_M12_real_files_are_stored_by_sha256_and_the_event_names_the_hash(
    live_server: LiveServer, store: EventStore, pool: asyncpg.Pool
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    meal_id = await held_meal(store, staff, boss)
    photo, scan, invoice = jpeg(7), png(7), pdf(f"Invoice {random_id()}")

    answers = {}
    for content, media_type in ((photo, "image/jpeg"), (scan, "image/png"),
                                (invoice, "application/pdf")):
        response = await upload(live_server, staff, content, "application/octet-stream")
        assert response.status_code == 201, response.text
        answers[media_type] = response.json()
        assert response.json() == {"sha256": hashlib.sha256(content).hexdigest(),
                                   "size": len(content), "mediaType": media_type}
    again = await upload(live_server, boss, photo, "image/png")  # the claim is ignored
    assert again.status_code == 200 and again.json() == answers["image/jpeg"]
    photo_sha, invoice_sha = answers["image/jpeg"]["sha256"], answers["application/pdf"]["sha256"]
    # Stored once, and PostgreSQL itself vouches that the key is the content's SHA-256.
    row = await pool.fetchrow(
        "SELECT count(*) OVER () AS copies, encode(sha256(content), 'hex') AS digest, size,"
        " media_type FROM kehu_log.documents WHERE sha256 = $1", photo_sha)
    assert (row["copies"], row["digest"], row["size"], row["media_type"]) == (
        1, hashlib.sha256(photo).hexdigest(), len(photo), "image/jpeg")

    receipt = await attach(staff, meal_id, photo_sha)
    assert receipt["__typename"] == "DocumentMutationOk", receipt
    assert receipt["downloadUrl"] == f"/documents/{photo_sha}"
    number = random_id("0440")[:20]
    by_boss = await attach(boss, meal_id, invoice_sha, "INVOICE", number)
    assert by_boss["__typename"] == "DocumentMutationOk", by_boss
    repeated = await attach(staff, meal_id, photo_sha)
    assert repeated["position"] == 0  # attached already: nothing written

    events = await pool.fetch(
        "SELECT payload, metadata->>'actor_id' AS actor FROM kehu_log.events"
        " WHERE stream_id = $1 AND event_type = 'MealDocumentAttached' ORDER BY version",
        f"meal-{meal_id}")
    assert [(e["payload"]["sha256"], e["payload"]["size"], e["payload"]["media_type"],
             e["payload"]["kind"], e["payload"]["invoice_number"]) for e in events] == [
        (photo_sha, len(photo), "image/jpeg", "receipt", None),
        (invoice_sha, len(invoice), "application/pdf", "invoice", number)]
    report = await verify_chain(pool)
    assert report.ok, report

    shown = await staff.query(DOCUMENTS, id=meal_id, at=by_boss["position"])
    assert shown["mealRequest"]["documents"] == [
        {"sha256": photo_sha, "size": len(photo), "mediaType": "image/jpeg", "kind": "RECEIPT",
         "invoiceNumber": None, "attachedBy": staff.id, "downloadUrl": f"/documents/{photo_sha}"},
        {"sha256": invoice_sha, "size": len(invoice), "mediaType": "application/pdf",
         "kind": "INVOICE", "invoiceNumber": number, "attachedBy": boss.id,
         "downloadUrl": f"/documents/{invoice_sha}"}]

    got = await download(live_server, staff, invoice_sha)
    assert got.status_code == 200 and got.content == invoice
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == f'attachment; filename="{invoice_sha}.pdf"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert (await download(live_server, boss, photo_sha)).content == photo
    assert (await download(live_server, User(live_server, Role.AUDITOR), photo_sha)
            ).status_code == 200
    # Another staff member sees neither the meal nor its paper: 404, as for no document.
    colleague = User(live_server, Role.STAFF)
    assert (await download(live_server, colleague, photo_sha)).status_code == 404
    assert (await download(live_server, colleague, "0" * 64)).status_code == 404
    # Uploaded but attached nowhere: nobody sees it, the uploader neither.
    assert (await download(live_server, staff, answers["image/png"]["sha256"])
            ).status_code == 404
    assert (await download(live_server, None, photo_sha)).status_code == 401


async def test_M12_bad_uploads_are_refused_with_a_typed_error_and_change_nothing(
    live_server: LiveServer, pool: asyncpg.Pool
) -> None:
    staff = User(live_server, Role.STAFF)
    before = await documents_rows(pool)
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    fake = await upload(live_server, staff, html, "application/pdf")
    assert fake.status_code == 415
    error = fake.json()["errors"][0]
    assert error["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE", "field": "body",
                                   "rule": "documents", "claimed": "application/pdf"}
    assert "JPEG, PNG, PDF or OFD" in error["message"]
    assert (await upload(live_server, staff, ofd(with_root=False))).status_code == 415

    oversize = jpeg() + b"\x00" * 5_000_001
    big = await upload(live_server, staff, oversize, "image/jpeg")
    assert big.status_code == 413
    assert big.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    assert big.json()["errors"][0]["extensions"]["limit"] == 5_000_000

    empty = await upload(live_server, staff, b"")
    assert empty.status_code == 400 and empty.json()["errors"][0]["extensions"]["code"] == \
        "EMPTY_DOCUMENT"
    assert (await upload(live_server, None, jpeg())).status_code == 401
    auditor = await upload(live_server, User(live_server, Role.AUDITOR), jpeg())
    assert auditor.status_code == 403
    assert await documents_rows(pool) == before

    electronic = ofd()
    accepted = await upload(live_server, staff, electronic, "application/zip")
    assert accepted.status_code == 201
    assert accepted.json()["mediaType"] == "application/ofd"


async def test_M12_a_document_of_another_staff_members_meal_is_refused(
    live_server: LiveServer, store: EventStore, pool: asyncpg.Pool
) -> None:
    owner, other, boss = (User(live_server, Role.STAFF), User(live_server, Role.STAFF),
                          User(live_server, Role.MANAGER))
    meal_id = await held_meal(store, owner, boss)
    sha = await stored(live_server, other, jpeg(11))
    version = await pool.fetchval("SELECT max(version) FROM kehu_log.events"
                                  " WHERE stream_id = $1", f"meal-{meal_id}")
    refused = await attach(other, meal_id, sha)
    assert refused["__typename"] == "ForbiddenError" and refused["rule"] == "M12", refused
    unknown = await attach(owner, meal_id, "a" * 64)
    assert unknown["__typename"] == "NotFoundError" and unknown["field"] == "sha256", unknown
    malformed = await attach(owner, meal_id, "not-a-hash")
    assert malformed["__typename"] == "ValidationError"
    assert malformed["problems"][0]["field"] == "sha256"
    numbered = await attach(owner, meal_id, sha, "RECEIPT", "12345678")
    assert numbered["__typename"] == "ValidationError"
    assert numbered["problems"][0]["field"] == "invoiceNumber"
    no_meal = await attach(owner, random_id("meal-"), sha)
    assert no_meal["__typename"] == "NotFoundError" and no_meal["field"] == "mealId"
    assert await pool.fetchval("SELECT max(version) FROM kehu_log.events WHERE stream_id = $1",
                               f"meal-{meal_id}") == version
