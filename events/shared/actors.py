"""Who acts: the roles of RULES.md and the actor every command and event carries."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN_OFFICE = "admin_office"
    GENERAL_MANAGER = "general_manager"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


# Roles that may only read (RULES.md roles table): they never reach a command handler's write.
READ_ONLY_ROLES = frozenset({Role.AUDITOR, Role.INTEGRATION})


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    role: Role

    @property
    def may_write(self) -> bool:
        return self.role not in READ_ONLY_ROLES


SYSTEM = Actor(user_id="system", name="Kehu", role=Role.GENERAL_MANAGER)
