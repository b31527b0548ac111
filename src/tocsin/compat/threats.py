"""tocsin's threats as the two APIs type alerts.

A threat is mapped by its CAP event code (`ThreatType.cap.event_code`), so a deployment's own
threat maps as the built-in one whose code it shares:

    event code         alerts.in.ua          level   threat_type                ukrainealarm
    TOCSIN-MISSILE     air_raid              red     unspecified_missiles       AIR
    TOCSIN-AVIATION    air_raid              red     tactic_aircraft_activity   AIR
    TOCSIN-AIR         air_raid              red     unknown                    AIR
    TOCSIN-UAV         air_raid              yellow  drones                     AIR
    TOCSIN-ARTILLERY   artillery_shelling    red     -                          ARTILLERY
    TOCSIN-URBAN       urban_fights          red     -                          URBAN_FIGHTS
    TOCSIN-CHEM        chemical              red     -                          CHEMICAL
    TOCSIN-RAD         nuclear               red     -                          NUCLEAR
    any other          air_raid              red     unknown                    UNKNOWN

The «UAV Danger!» signal is the lesser one, so a drone alert is alerts.in.ua's yellow level;
every other is red. A threat of a code neither API knows is still shown (a warning a client
cannot name is better than one it never sees): as an air raid of unknown kind to alerts.in.ua
clients, which have no other type for it, and as UNKNOWN to ukrainealarm's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tocsin.domain.threats import Catalogue, ThreatType
from tocsin.types import ThreatId


@dataclass(frozen=True, slots=True)
class Mapped:
    alert_type: str  # alerts.in.ua's alert_type
    level: str  # alerts.in.ua's alert_level: red or yellow
    threat_type: str | None  # alerts.in.ua's threats[].threat_type, for air raids
    ua_type: str  # ukrainealarm's activeAlerts[].type

    @property
    def air_raid(self) -> bool:
        return self.alert_type == AIR_RAID


AIR_RAID: Final = "air_raid"
RED, YELLOW = "red", "yellow"
_BY_CODE: Final = {
    "TOCSIN-MISSILE": Mapped(AIR_RAID, RED, "unspecified_missiles", "AIR"),
    "TOCSIN-AVIATION": Mapped(AIR_RAID, RED, "tactic_aircraft_activity", "AIR"),
    "TOCSIN-AIR": Mapped(AIR_RAID, RED, "unknown", "AIR"),
    "TOCSIN-UAV": Mapped(AIR_RAID, YELLOW, "drones", "AIR"),
    "TOCSIN-ARTILLERY": Mapped("artillery_shelling", RED, None, "ARTILLERY"),
    "TOCSIN-URBAN": Mapped("urban_fights", RED, None, "URBAN_FIGHTS"),
    "TOCSIN-CHEM": Mapped("chemical", RED, None, "CHEMICAL"),
    "TOCSIN-RAD": Mapped("nuclear", RED, None, "NUCLEAR"),
}
UNKNOWN: Final = Mapped(AIR_RAID, RED, "unknown", "UNKNOWN")


def mapped(threat: ThreatType) -> Mapped:
    return _BY_CODE.get(threat.cap.event_code, UNKNOWN)


def mapped_id(catalogue: Catalogue, threat_id: ThreatId) -> Mapped:
    """As `mapped`, by id; a threat no longer in the catalogue is of unknown kind."""
    return mapped(catalogue[threat_id]) if threat_id in catalogue else UNKNOWN
