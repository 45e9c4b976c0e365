"""Pure decisions of the documents context (M12 receipts of a meal's cost, M13 a restaurant
bill's paper). The stored document is a fact the handler looks up: None when never uploaded.

Who: a meal's documents are attached by the staff member who held it or a manager (those who
may record its cost, M12); a document of another staff member's meal is refused. A bill's are
attached by a manager (who may settle bills, M13). Attaching the same document to the same meal
or bill line again changes nothing.
"""

from __future__ import annotations

from events.documents.commands import AttachBillDocument, AttachMealDocument, ExplainMissingReceipt
from events.documents.events import (
    BillDocumentAttached,
    MealDocumentAttached,
    MealMissingReceiptExplained,
)
from events.documents.state import BillPapers, MealPapers
from events.documents.values import (
    DocumentInfo,
    DocumentKind,
    invoice_number_problem,
    valid_sha256,
)
from events.meals.state import MealState, MealStatus
from events.people.values import same_person
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, Problem, ValidationFailed
from events.shared.validation import MAX_TEXT
from events.store.envelope import Event


def document_problems(sha256: str, kind: DocumentKind, invoice_number: str | None,
                      rule: str) -> list[Problem]:
    problems = []
    if not valid_sha256(sha256):
        problems.append(Problem("sha256", rule, "sha256 is 64 lower-case hex digits, as the "
                                "upload (POST /documents) answered"))
    if invoice_number is not None:
        problem = invoice_number_problem(invoice_number)
        if problem:
            problems.append(Problem("invoiceNumber", rule, problem))
        elif kind is not DocumentKind.INVOICE:
            problems.append(Problem("invoiceNumber", rule,
                                    "an invoiceNumber is given with kind INVOICE only"))
    return problems


def _stored(document: DocumentInfo | None, sha256: str, rule: str) -> DocumentInfo:
    if document is None:
        raise NotFound(f"no document {sha256}: upload it first (POST /documents)", rule=rule,
                       field="sha256")
    return document


def _meal_of(papers: MealPapers | None, meal_id: str) -> MealState:
    if papers is None or papers.meal is None:
        raise NotFound(f"no meal {meal_id}", rule="M12", field="mealId")
    return papers.meal


def _may_file_for(meal: MealState, ctx: Context, action: str) -> None:
    ctx.require_role(Role.STAFF, Role.MANAGER, action=action, rule="M12")
    if ctx.actor.role is not Role.MANAGER and not same_person(ctx.actor.user_id,
                                                              meal.requested_by):
        raise Forbidden(f"meal {meal.meal_id} is {meal.requested_by}'s: they or a manager "
                        "file its receipts", rule="M12", field="mealId")
    if meal.status is MealStatus.REJECTED:
        raise InvalidState(f"meal {meal.meal_id} was rejected: it has no cost to document",
                           rule="M12")


def attach_to_meal(papers: MealPapers | None, command: AttachMealDocument, ctx: Context,
                   document: DocumentInfo | None) -> list[Event]:
    meal = _meal_of(papers, command.meal_id)
    _may_file_for(meal, ctx, "attaching a meal's receipt")
    problems = document_problems(command.sha256, command.kind, command.invoice_number, "M12")
    if problems:
        raise ValidationFailed(problems)
    stored = _stored(document, command.sha256, "M12")
    assert papers is not None
    if stored.sha256 in papers.documents:
        return []  # attached already: nothing changes
    return [MealDocumentAttached(
        meal.meal_id, stored.sha256, stored.size, stored.media_type.value, command.kind,
        command.invoice_number, ctx.actor.user_id, ctx.now)]


def explain_missing_receipt(papers: MealPapers | None, command: ExplainMissingReceipt,
                            ctx: Context) -> list[Event]:
    meal = _meal_of(papers, command.meal_id)
    _may_file_for(meal, ctx, "explaining a missing receipt")
    reason = command.reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", "reason is required: why is there no receipt",
                                      "M12")
    if len(reason) > MAX_TEXT:
        raise ValidationFailed.single("reason", f"reason is longer than {MAX_TEXT} characters",
                                      "M12")
    return [MealMissingReceiptExplained(meal.meal_id, reason, ctx.actor.user_id, ctx.now)]


def attach_to_bill(papers: BillPapers | None, command: AttachBillDocument, ctx: Context,
                   document: DocumentInfo | None) -> list[Event]:
    ctx.require_role(Role.MANAGER, action="attaching a restaurant bill's document", rule="M13")
    problems = document_problems(command.sha256, command.kind, command.invoice_number, "M13")
    if problems:
        raise ValidationFailed(problems)
    bill = papers.bill if papers is not None else None
    if bill is None:
        raise NotFound(f"no bill from {command.restaurant} for {command.month}; next: record "
                       "the restaurant's bill (recordRestaurantBill)", rule="M13",
                       field="restaurant")
    bill_id = command.bill_id or bill.bill_id
    if bill_id != bill.bill_id and bill_id not in bill.settled_bills:
        raise NotFound(f"no bill {bill_id} from {bill.restaurant} for {bill.month}",
                       rule="M13", field="billId")
    if command.line_no is not None and bill_id == bill.bill_id \
            and command.line_no not in {line.line_no for line in bill.lines}:
        raise NotFound(f"bill {bill_id} has no line {command.line_no}", rule="M13",
                       field="lineNo")
    stored = _stored(document, command.sha256, "M13")
    assert papers is not None
    if (bill_id, command.line_no, stored.sha256) in papers.documents:
        return []
    return [BillDocumentAttached(
        bill_id, bill.restaurant, bill.month, command.line_no, stored.sha256, stored.size,
        stored.media_type.value, command.kind, command.invoice_number, ctx.actor.user_id,
        ctx.now)]
