"""Who may do what, named once: each capability is the set of roles it allows.

The one place a set of roles is written down (ADR 0002, issue 15). The policy (``identity/rules.py``
POLICY: route → method → roles), the services (``scope.role in <capability>`` before a use case
acts) and the pages (which ask ``decide()``, as the navigation does) all read these names; none
writes a set of roles of its own. A test (``tests/unit/core/test_capabilities.py``) fails when a
set of roles is written anywhere else in ``src/``.

Data scope — which rows a role sees — is another matter: ``core.scoping`` (``BUREAU_WIDE``,
``BUSINESS_ROLES``, a ``Scope``'s properties) and one helper per app.

Pure: no Django; imports only ``precinct.core.roles``.
"""

from precinct.core.roles import BUREAU_WIDE, BUSINESS_ROLES, Role

R = Role
Capability = frozenset[Role]

# --- people (org) ----------------------------------------------------------------------------------
PEOPLE_READERS: Capability = BUSINESS_ROLES  # officers, their postings, cases, findings (scoped)
# every business role but the single officer: the unit tree, dashboards, comparisons and reports
# over many officers
OVERVIEW_READERS: Capability = PEOPLE_READERS - {R.OFFICER}
PEOPLE_EDITORS: Capability = frozenset({R.POLITICAL_DEPT, R.UNIT_CHIEF})
ROSTER_READERS: Capability = BUREAU_WIDE | {R.UNIT_CHIEF}
ROSTER_IMPORTERS: Capability = frozenset({R.POLITICAL_DEPT})
# 动态用警: the political department plans secondments and records returns and requests to stay;
# the leadership approves them and decides stays (a stay moves the establishment); unit chiefs
# read their own units' share and secondments; an officer reads his own through the API.
DEPLOYMENT_READERS: Capability = frozenset({R.LEADERSHIP, R.POLITICAL_DEPT, R.UNIT_CHIEF})
SECONDMENT_READERS: Capability = DEPLOYMENT_READERS | {R.OFFICER}
DEPLOYMENT_PLANNERS: Capability = frozenset({R.POLITICAL_DEPT})
DEPLOYMENT_APPROVERS: Capability = frozenset({R.LEADERSHIP})

# --- administration, audit --------------------------------------------------------------------------
ADMIN_SITE: Capability = frozenset({R.SYSADMIN, R.POLITICAL_DEPT})  # may enter the Django admin
ACCOUNT_ADMINS: Capability = frozenset({R.SYSADMIN})  # accounts, API tokens, lockouts
# 三员分立 (issue 18, V7): an account administrator asks for a role, a unit, an officer link or a
# password reset; a security administrator (never the same person, never for himself) decides
ACCESS_REQUESTERS: Capability = ACCOUNT_ADMINS
ACCESS_APPROVERS: Capability = frozenset({R.SECURITY_ADMIN})
PEOPLE_ADMINS: Capability = frozenset({R.POLITICAL_DEPT})  # units, officers, postings in the admin
AUDIT_READERS: Capability = frozenset({R.AUDITOR})

# --- cases and supervision --------------------------------------------------------------------------
CASE_RECORDERS: Capability = frozenset({R.LEGAL_SUPERVISION, R.UNIT_CHIEF, R.OFFICER})
FULL_IDENTITY_READERS: Capability = frozenset({R.LEGAL_SUPERVISION})  # a person's whole ID number
REVIEWERS: Capability = frozenset({R.LEGAL_SUPERVISION, R.LEADERSHIP})  # case reviews (解剖)
TICKET_HANDLERS: Capability = frozenset({R.LEGAL_SUPERVISION, R.UNIT_CHIEF})
TICKET_VERIFIERS: Capability = frozenset({R.LEGAL_SUPERVISION})  # verify, send back, accountability
HOLIDAY_READERS: Capability = frozenset({R.LEGAL_SUPERVISION, R.LEADERSHIP})  # State Council's days
HOLIDAY_ENTERERS: Capability = frozenset({R.LEGAL_SUPERVISION})

# --- merit ------------------------------------------------------------------------------------------
MERIT_ENTERERS: Capability = frozenset({R.POLITICAL_DEPT, R.UNIT_CHIEF})
MERIT_APPROVERS: Capability = frozenset({R.POLITICAL_DEPT})
# 我的: an officer (any business role with an officer record) submits his own achievement with its
# evidence, for the approvers to decide; never another officer's, never deciding his own
OWN_ACHIEVEMENT_SUBMITTERS: Capability = PEOPLE_READERS
AWARD_READERS: Capability = MERIT_ENTERERS | {R.LEADERSHIP}  # proposals and their dossiers
RECRUIT_READERS: Capability = MERIT_ENTERERS | {R.LEADERSHIP}  # new officers' induction
LEDGER_CHECKERS: Capability = frozenset({R.POLITICAL_DEPT, R.LEADERSHIP})
FINANCE_EXPORTERS: Capability = LEDGER_CHECKERS  # the month's bonus payable, for finance
PACK_READERS: Capability = frozenset({R.LEADERSHIP, R.POLITICAL_DEPT, R.UNIT_CHIEF})
PROMOTION_READERS: Capability = PACK_READERS

# --- command and planning ---------------------------------------------------------------------------
COMMAND: Capability = frozenset({R.COMMAND_CENTRE})  # dispatch, close; a caller's whole phone
BOARD_READERS: Capability = frozenset({R.COMMAND_CENTRE, R.LEADERSHIP, R.UNIT_CHIEF})
PATROL_UNIT_READERS: Capability = BOARD_READERS | {R.OFFICER}
UNIT_TERMINALS: Capability = COMMAND | {R.OFFICER}  # a unit's status and position: crew or centre
PLANNERS: Capability = frozenset({R.COMMAND_CENTRE, R.LEADERSHIP})

# --- campaigns --------------------------------------------------------------------------------------
CAMPAIGN_MANAGERS: Capability = frozenset({R.LEGAL_SUPERVISION, R.LEADERSHIP})
CAMPAIGN_TICKERS: Capability = CAMPAIGN_MANAGERS | {R.UNIT_CHIEF}  # move a checklist item
CAMPAIGN_LINKERS: Capability = CAMPAIGN_TICKERS  # link a case, incident or achievement

# --- statistics -------------------------------------------------------------------------------------
STATS_READERS: Capability = BUREAU_WIDE | {R.UNIT_CHIEF}
PROVINCE_READERS: Capability = frozenset({R.LEADERSHIP})  # the cities side by side (ADR 0043)
STATS_IMPORTERS: Capability = frozenset({R.COMMAND_CENTRE, R.LEADERSHIP})
# the home page's age dashboard of the senior officers' programme (重走青春路)
SENIOR_PROGRAMME_READERS: Capability = frozenset({R.LEADERSHIP, R.POLITICAL_DEPT})
