"""The nine roles, and the two data scopes they fall in (bureau-wide, business). A module of its
own so that both the scope (``core.scoping``) and the capabilities (``core.capabilities``) can
read it without importing each other."""

from enum import StrEnum


class Role(StrEnum):
    LEADERSHIP = "leadership"
    POLITICAL_DEPT = "political_dept"
    LEGAL_SUPERVISION = "legal_supervision"
    COMMAND_CENTRE = "command_centre"
    UNIT_CHIEF = "unit_chief"
    OFFICER = "officer"
    SYSADMIN = "sysadmin"
    AUDITOR = "auditor"
    # 三员分立 (MLPS level 3): the system administrator keeps the accounts, the security
    # administrator (安全保密管理员) approves who gets which role, the auditor reads the log
    SECURITY_ADMIN = "security_admin"


BUREAU_WIDE = frozenset(
    {Role.LEADERSHIP, Role.POLITICAL_DEPT, Role.LEGAL_SUPERVISION, Role.COMMAND_CENTRE}
)
BUSINESS_ROLES = BUREAU_WIDE | {Role.UNIT_CHIEF, Role.OFFICER}
ALL_ROLES = frozenset(Role)
