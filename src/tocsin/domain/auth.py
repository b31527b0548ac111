"""Who may do what, and where.

Roles:
- `admin`: everything, everywhere (tokens, regions, alerts).
- `operator`: raise and manage alerts within the regions listed on the token (and below them).
- `automation`: the same, for machine feeds (detection systems, CAP import).
- `approver`: approves alerts held for a second person; raises nothing by itself.
- `viewer`: reads what needs a token; changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.domain.regions import RegionTree
from tocsin.errors import Forbidden, InvalidInput
from tocsin.types import RegionCode


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AUTOMATION = "automation"
    APPROVER = "approver"
    VIEWER = "viewer"


ALERTING_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.AUTOMATION})
SCOPED_ROLES = frozenset({Role.OPERATOR, Role.AUTOMATION, Role.APPROVER})


@dataclass(frozen=True, slots=True)
class Actor:
    """The one who issues a command: a token holder, a console user or the local CLI."""

    name: str
    role: Role
    regions: frozenset[RegionCode] | None = None  # None: every region
    token_id: str | None = None
    origin: str | None = None  # where the command came from: an address, "cli", "system"
    session_mode: str | None = None  # a console session's mode: its alerts must have it

    @property
    def label(self) -> str:
        return self.name if self.token_id is None else f"{self.name} ({self.token_id})"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    name: str
    role: str
    regions: tuple[RegionCode, ...] | None
    created_at: datetime
    revoked_at: datetime | None


LOCAL_ADMIN = Actor(name="cli", role=Role.ADMIN, origin="cli")


def validate_scope(role: Role, regions: Iterable[RegionCode], tree: RegionTree) -> frozenset[str]:
    """Check the regions given for a new token of `role`."""
    scope = frozenset(regions)
    if role in SCOPED_ROLES and not scope:
        raise InvalidInput(
            f"a {role.value} token needs at least one region (use the country code for all of it)",
            field="regions",
        )
    if role not in SCOPED_ROLES and scope:
        raise InvalidInput(f"a {role.value} token is not limited to regions", field="regions")
    for code in sorted(scope):
        tree.require(code, field="regions")
    return scope


# what a caller does in its regions: (what its role may not do, what it may do only there)
DOING = {
    "alerts": ("raise or change alerts", "alert only"),
    "incidents": ("record incidents", "record incidents only in"),
    "regions": ("change regions", "change only"),
}


def authorize_alert(
    actor: Actor,
    regions: Iterable[RegionCode],
    tree: RegionTree,
    *,
    field: str = "regions",
    subject: str = "alerts",
) -> None:
    """Raise `Forbidden` unless `actor` may alert every one of `regions` (or, with `subject`
    "incidents", record incidents there: the same roles and scopes); `field` names the list
    in the error."""
    cannot, only = DOING[subject]
    if actor.role not in ALERTING_ROLES:
        raise Forbidden(f"the {actor.role.value} role cannot {cannot}")
    if actor.regions is None and actor.role not in SCOPED_ROLES:
        return
    scope = actor.regions or frozenset()  # fail closed: a scoped role needs its regions
    if not scope:
        raise Forbidden(f"{actor.name} is an {actor.role.value} limited to no region")
    for index, code in enumerate(regions):
        if code in tree and not tree.within(code, scope):
            raise Forbidden(
                f"{actor.name} may {only} {', '.join(sorted(scope))} "
                f"and the regions within; not {code}",
                field=f"{field}[{index}]",
            )


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise Forbidden(f"this needs the {allowed} role; the token has {actor.role.value}")


def authorize_approval(actor: Actor, regions: Iterable[RegionCode], tree: RegionTree) -> None:
    """Raise `Forbidden` unless `actor` may approve an alert for all of `regions`."""
    if actor.role not in (Role.APPROVER, Role.ADMIN):
        raise Forbidden(f"approving needs the approver role; the token has {actor.role.value}")
    if actor.regions is None and actor.role is Role.ADMIN:
        return
    scope = actor.regions or frozenset()
    for index, code in enumerate(regions):
        if code in tree and not tree.within(code, scope):
            raise Forbidden(
                f"{actor.name} may approve only for {', '.join(sorted(scope)) or 'no regions'}"
                f" and the regions within; not {code}",
                field=f"regions[{index}]",
            )
