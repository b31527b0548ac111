"""The two-person rule: which alerts a second person must approve before they go out.

A deployment sets the policy; it applies to `actual` alerts only (drills go out at once):
- `more_regions_than`: an alert covering more regions than this is held;
- `free_text`: an alert with a headline or free text of its own is held;
- `always`: every actual alert is held.
The approver must hold the `approver` or `admin` role, cover the alert's regions, and be someone
other than the one who raised it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.domain.alerts import Alert, RaiseAlert, Status


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    more_regions_than: int | None = None
    free_text: bool = False
    always: bool = False

    def hold(self, cmd: RaiseAlert) -> str | None:
        """Why `cmd` must wait for a second person, or None if it may go out at once."""
        if cmd.status is not Status.ACTUAL:
            return None
        if self.always:
            return "every actual alert needs a second person's approval"
        count = len(set(cmd.regions))
        if self.more_regions_than is not None and count > self.more_regions_than:
            return (
                f"it covers {count} regions; more than {self.more_regions_than} need a second "
                "person's approval"
            )
        if self.free_text and (cmd.headline or cmd.text):
            return "it carries free text, which needs a second person's approval"
        return None

    def hold_update(self, before: Alert, after: Alert) -> str | None:
        """Why a change to an open alert may not go out without a second person, if it may not.

        Widening an actual alert past the region limit, or giving it free text, would let one
        person do through an update what a raise could not; such changes are refused (raise a
        separate alert for the other regions: it waits for approval like any other).
        """
        if after.status is not Status.ACTUAL:
            return None
        limit = self.more_regions_than
        if limit is not None and len(after.regions) > max(limit, len(before.regions)):
            return (
                f"it would cover {len(after.regions)} regions; more than {limit} need a second "
                "person's approval: raise a separate alert for the other regions"
            )
        changed_text = (after.headline, after.text) != (before.headline, before.text)
        if self.free_text and changed_text and (after.headline or after.text):
            return "free text needs a second person's approval: raise a new alert with it"
        return None
