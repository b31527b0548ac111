"""The two-person rule: which alerts a second person must approve before they go out.

A deployment sets the policy; it applies to `actual` alerts only (drills go out at once):
- `more_regions_than`: an alert covering more regions than this is held;
- `free_text`: an alert with a headline or free text of its own is held;
- `always`: every actual alert is held.

Regions are counted by what they cover, not by how many codes were sent: a code stands for
everything under it, and coverage is counted in first-level units (oblasts). `UA` covers every
oblast of Ukraine and counts as all of them; three hromadas of one oblast count as one. The
count only grows as coverage grows, so no way of writing the same area counts less.

Once approved, an alert may not reach past what the approver saw: an update that adds coverage
outside the approved regions is refused (raise a separate alert; it waits like any other). An
alert that went out without approval may not be widened past the limit either.

The approver must hold the `approver` or `admin` role, cover the alert's regions, and be someone
other than the one who raised it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.domain.alerts import Alert, RaiseAlert, Status
from tocsin.domain.regions import RegionTree
from tocsin.types import RegionCode


def coverage_units(codes: Iterable[RegionCode], tree: RegionTree | None) -> frozenset[RegionCode]:
    """The first-level units (oblasts) that `codes` cover; a country covers all of its own.

    Without a tree (or for codes it does not know) each code counts as one unit.
    """
    units: set[RegionCode] = set()
    for code in codes:
        if tree is None or code not in tree:
            units.add(code)
            continue
        lineage = [code, *tree.ancestors(code)]
        if len(lineage) >= 2:
            units.add(lineage[-2])  # the ancestor just below the root
            continue
        children = tree.children(code)
        units.update(c.code for c in children) if children else units.add(code)
    return frozenset(units)


def outside(
    codes: Iterable[RegionCode], approved: Iterable[RegionCode], tree: RegionTree | None
) -> list[RegionCode]:
    """The codes of `codes` that cover something outside `approved`."""
    allowed = frozenset(approved)
    if tree is None:
        return [code for code in codes if code not in allowed]
    return [code for code in codes if not tree.within(code, allowed)]


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    more_regions_than: int | None = None
    free_text: bool = False
    always: bool = False

    def hold(self, cmd: RaiseAlert, tree: RegionTree | None = None) -> str | None:
        """Why `cmd` must wait for a second person, or None if it may go out at once."""
        if cmd.status is not Status.ACTUAL:
            return None
        if self.always:
            return "every actual alert needs a second person's approval"
        count = len(coverage_units(cmd.regions, tree))
        if self.more_regions_than is not None and count > self.more_regions_than:
            return (
                f"it covers {count} regions; more than {self.more_regions_than} need a second "
                "person's approval"
            )
        if self.free_text and (cmd.headline or cmd.text):
            return "it carries free text, which needs a second person's approval"
        return None

    def hold_update(
        self, before: Alert, after: Alert, tree: RegionTree | None = None
    ) -> str | None:
        """Why a change to an open alert may not go out without a second person, if it may not.

        One person may not do through an update what a raise could not: an approved alert
        keeps within the approved coverage, and an alert that needed no approval stays within
        the limit. Such changes are refused (raise a separate alert for the other regions: it
        waits for approval like any other).
        """
        if after.status is not Status.ACTUAL:
            return None
        approved = (before.approval or {}).get("regions")
        if approved is not None:
            beyond = outside(after.regions, approved, tree)
            if beyond:
                return (
                    f"{', '.join(beyond)} reach past the regions a second person approved: "
                    "raise a separate alert for them"
                )
        limit = self.more_regions_than
        if approved is None and limit is not None:
            count = len(coverage_units(after.regions, tree))
            widened = outside(after.regions, before.regions, tree)
            if widened and count > limit:
                return (
                    f"it would cover {count} regions; more than {limit} need a second "
                    "person's approval: raise a separate alert for the other regions"
                )
        if self.always and approved is None and outside(after.regions, before.regions, tree):
            return "every actual alert needs a second person's approval: raise a new alert"
        changed_text = (after.headline, after.text) != (before.headline, before.text)
        if self.free_text and changed_text and (after.headline or after.text):
            return "free text needs a second person's approval: raise a new alert with it"
        return None
