"""What a decision may know besides the aggregate's own state: who acts and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from events.shared.actors import Actor
from events.shared.errors import Forbidden

COMPANY_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Context:
    actor: Actor
    now: datetime  # timezone-aware
    tz: ZoneInfo = COMPANY_TZ
    # Why: the request (or process) that caused this decision, carried into event metadata.
    correlation_id: str = ""
    causation_id: str | None = None

    @property
    def today(self) -> date:
        """Day boundaries follow the company time zone, not UTC."""
        return self.now.astimezone(self.tz).date()

    def require_role(self, *roles: str, action: str, rule: str | None = None) -> None:
        """Refuse unless the actor has one of `roles` (the roles table of RULES.md)."""
        if self.actor.role not in roles:
            allowed = ", ".join(sorted(roles))
            # Every refusal names a rule: the roles table itself when no finer rule applies.
            raise Forbidden(
                f"{action} needs role {allowed}; {self.actor.role.value} may not",
                rule=rule or "roles",
            )

    def forbid_self(self, requester_id: str, *, action: str, rule: str | None = None) -> None:
        """Separation of duties: nobody approves, signs or settles their own request."""
        if requester_id == self.actor.user_id:
            raise Forbidden(f"nobody may {action} their own request", rule=rule or "SoD")
