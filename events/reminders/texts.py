"""A reminder's words in English and Simplified Chinese, from the facts its event carries.

Kept with the reminders (not in the GraphQL catalog) because email and the API both say them;
the facts are rule-book data and view values, never free text typed by the recipient.
"""

from __future__ import annotations

from datetime import date

from events.reminders.events import ReminderSent

LANGUAGES = ("en", "zh")

_EN = {
    "paperwork-before": "The paperwork of the meal with {label} is due on {due} (M11/M14): "
                        "complete it by then or reimbursement is denied.",
    "paperwork-due": "The paperwork of the meal with {label} is due today, {due} (M11/M14): "
                     "complete it today or reimbursement is denied.",
    "approval-waiting": "The meal request for {label} is waiting for a manager's approval (M2).",
    "commitment-due": "Your commitment \"{label}\" is due on {due} (V11).",
    "commitment-overdue": "Your commitment \"{label}\" was due on {due} and is overdue (V11).",
    "follow-up-due": "The follow-up visit for \"{label}\" is due on {due} (V12).",
    "follow-up-overdue": "The follow-up visit for \"{label}\" was due on {due} and is overdue "
                         "(V12).",
    "bill-unsettled": "Signed meals at {label} are not yet settled after the month end (M13).",
}
_ZH = {
    "paperwork-before": "与{label}的用餐手续须于{due}前补办（M11/M14），逾期不予报销。",
    "paperwork-due": "与{label}的用餐手续今天（{due}）到期（M11/M14），请今天补办，逾期不予报销。",
    "approval-waiting": "{label}的用餐申请正在等待经理审批（M2）。",
    "commitment-due": "您的承诺“{label}”于{due}到期（V11）。",
    "commitment-overdue": "您的承诺“{label}”已于{due}到期，现已逾期（V11）。",
    "follow-up-due": "“{label}”的回访于{due}到期（V12）。",
    "follow-up-overdue": "“{label}”的回访已于{due}到期，现已逾期（V12）。",
    "bill-unsettled": "{label}的已签字用餐在月底后仍未结算（M13）。",
}
_SUBJECT = {"en": "Kehu reminder ({rule})", "zh": "客户系统提醒（{rule}）"}
_FALLBACK = {"en": "A reminder of rule {rule}: {label}.", "zh": "规则{rule}的提醒：{label}。"}


def _day(day: date | None) -> str:
    return day.isoformat() if day else "-"


def message(policy_key: str, rule: str, label: str, due_on: date | None,
            language: str) -> str:
    table = _ZH if language == "zh" else _EN
    template = table.get(policy_key, _FALLBACK["zh" if language == "zh" else "en"])
    return template.format(label=label, due=_day(due_on), rule=rule)


def message_of(event: ReminderSent, language: str) -> str:
    return message(event.policy_key, event.rule, event.label, event.due_on, language)


def subject(rule: str, language: str) -> str:
    return _SUBJECT["zh" if language == "zh" else "en"].format(rule=rule)


def language_of(accept: str | None) -> str:
    """"zh", "zh-CN" -> zh; anything else English."""
    return "zh" if accept and accept.lower().startswith("zh") else "en"
