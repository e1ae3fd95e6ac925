"""Which approval path a request takes: the ``[approvals]`` rules of the configuration, read as data.

A rule (``config.ApprovalRule``) covers a request when the request's kind is one of its ``kinds`` and
every condition it sets holds for the order — total above ``total_above_yuan``, a line whose SKU carries
one of ``sku_tags``, one of its ``shops``, one of its ``platforms``. The first rule in the file that covers
a request gives its path; a hand-made request no rule covers takes ``default_steps``. Nothing here is
evaluated as code: a rule is compared field by field, and a bad one stops the configuration from
loading with the rule's name in the message.

Two kinds are raised by the order itself on intake (``INTAKE_APPROVAL_KINDS``: a large order, a custom
item): every rule for them that matches opens its own request.

Escalation climbs ``escalation`` (role → the role above it): a role above a step's role may always
sign for it; after ``n`` escalations the request also waits for — is listed for, and alerts — the
``n`` roles above each role still to sign.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from oms_tui.config import ApprovalRule, ApprovalsConfig
from oms_tui.names import INTAKE_APPROVAL_KINDS

DEFAULT_RULE = "default"


@dataclass(frozen=True)
class OrderFacts:
    """What the rules look at, read off an order and its lines."""

    total_fen: int
    shop: str
    platform: str
    sku_tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Path:
    rule: str  # the rule's name, or DEFAULT_RULE
    steps: list[list[str]]  # each step: the roles that must all sign it
    escalate_minutes: int
    source: ApprovalRule | None = None  # the rule itself (its conditions say why it matched); None: the default


def matches(rule: ApprovalRule, kind: str, facts: OrderFacts) -> bool:
    if kind not in rule.kinds:
        return False
    if rule.total_above_yuan is not None and facts.total_fen <= round(rule.total_above_yuan * 100):
        return False
    if rule.sku_tags and not facts.sku_tags & set(rule.sku_tags):
        return False
    if rule.shops and facts.shop not in rule.shops:
        return False
    return not rule.platforms or facts.platform in rule.platforms


def _minutes(config: ApprovalsConfig, rule: ApprovalRule | None) -> int:
    hours = rule.escalate_after_hours if rule is not None and rule.escalate_after_hours else config.escalate_after_hours
    return max(1, round(hours * 60))


def path_for(config: ApprovalsConfig, kind: str, facts: OrderFacts) -> Path:
    """The path a request of this kind on this order takes: the first rule that covers it, else the default."""
    for rule in config.rules:
        if matches(rule, kind, facts):
            return Path(rule.name, rule.path, _minutes(config, rule), rule)
    steps = [[step] if isinstance(step, str) else list(step) for step in config.default_steps]
    return Path(DEFAULT_RULE, steps, _minutes(config, None))


def intake_paths(config: ApprovalsConfig, facts: OrderFacts) -> list[tuple[str, Path]]:
    """(kind, path) for every intake rule a new order meets — each opens a request of its own."""
    return [(kind, Path(rule.name, rule.path, _minutes(config, rule), rule))
            for rule in config.rules for kind in INTAKE_APPROVAL_KINDS
            if kind in rule.kinds and matches(rule, kind, facts)]


def climb(config: ApprovalsConfig, role: str, levels: int | None = None) -> list[str]:
    """``role`` and up to ``levels`` roles above it (all of them without ``levels``), lowest first."""
    chain = [role]
    while (levels is None or len(chain) <= levels) and chain[-1] in config.escalation:
        chain.append(config.escalation[chain[-1]])
    return chain


def can_climb(config: ApprovalsConfig, roles: Iterable[str], levels: int) -> bool:
    """Whether one more escalation reaches a role the current ``levels`` do not."""
    return any(len(climb(config, role, levels + 1)) > len(climb(config, role, levels)) for role in roles)


def dump_path(steps: list[list[str]]) -> str:
    return json.dumps(steps)


def load_path(stored: str, config: ApprovalsConfig) -> list[list[str]]:
    """A request's stored steps; a request from before paths existed takes the default path."""
    if stored:
        steps = json.loads(stored)
        if isinstance(steps, list) and all(isinstance(s, list) and s for s in steps):
            return [[str(role) for role in step] for step in steps]
    return [[step] if isinstance(step, str) else list(step) for step in config.default_steps]


def role_list(roles: Iterable[str]) -> str:
    """Roles as ``waiting_for`` holds them, ``,cs_lead,manager,`` — so ``LIKE '%,cs_lead,%'`` finds cs_lead only."""
    roles = list(dict.fromkeys(r for r in roles if r))
    return f",{','.join(roles)}," if roles else ""


def roles_of(stored: str) -> list[str]:
    return [r for r in (stored or "").split(",") if r]
