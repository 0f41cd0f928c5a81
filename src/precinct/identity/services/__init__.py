"""Identity use cases: the caller's scope, API tokens, and the audit chain.

Services never open transactions of their own except the audit writer's savepoint, which makes
an audit entry commit or roll back together with the write it records.

One module per seam; this package keeps every public name, so callers import ``services`` as before.
"""

from .accounts import (
    create_token,
    create_user,
    disable_idle_accounts,
    display_names,
    enable_account,
    revoke_token,
    user_for_token,
)
from .audit import (
    REDACTED_FIELDS,
    SUMMARISED_FIELDS,
    AuditChainBroken,
    audit_entries,
    audit_key,
    link_pending,
    record,
    record_many,
    record_write,
    snapshot,
    verify_audit_chain,
)
from .scope import (
    SYSTEM_ACTOR,
    Actor,
    acting_as,
    actor_for,
    caller,
    current_actor,
    scope_for,
    scope_for_username,
)
from .second_factor import (
    LOCKED,
    WRONG_CODE,
    Verdict,
    confirm_enrolment,
    confirmed_device,
    new_recovery_codes,
    otp_required,
    password_expired,
    provisioning_uri,
    recovery_codes_left,
    reset_second_factor,
    start_enrolment,
    verify_second_factor,
)

__all__ = [
    "LOCKED",
    "REDACTED_FIELDS",
    "SUMMARISED_FIELDS",
    "SYSTEM_ACTOR",
    "WRONG_CODE",
    "Actor",
    "AuditChainBroken",
    "Verdict",
    "acting_as",
    "actor_for",
    "audit_entries",
    "audit_key",
    "caller",
    "confirm_enrolment",
    "confirmed_device",
    "create_token",
    "create_user",
    "current_actor",
    "disable_idle_accounts",
    "display_names",
    "enable_account",
    "link_pending",
    "new_recovery_codes",
    "otp_required",
    "password_expired",
    "provisioning_uri",
    "record",
    "record_many",
    "record_write",
    "recovery_codes_left",
    "reset_second_factor",
    "revoke_token",
    "scope_for",
    "scope_for_username",
    "snapshot",
    "start_enrolment",
    "user_for_token",
    "verify_audit_chain",
    "verify_second_factor",
]
