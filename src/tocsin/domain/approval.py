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

from tocsin.domain.alerts import RaiseAlert, Status


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
