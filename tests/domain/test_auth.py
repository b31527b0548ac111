import pytest

from tocsin.domain.auth import (
    LOCAL_ADMIN,
    Actor,
    Role,
    authorize_alert,
    require_role,
    validate_scope,
)
from tocsin.domain.regions import RegionTree
from tocsin.errors import Forbidden, InvalidInput, UnknownRegion
from tocsin.regions.packs import load_pack

TREE = RegionTree(load_pack("ua") + load_pack("ru-border"))
KHARKIV_HROMADA = next(
    code for code in TREE.descendants("UA-63") if TREE.require(code).level == "hromada"
)
KHARKIV_RAION = TREE.require(KHARKIV_HROMADA).parent
UKRAINE = ("UA", "UA-63", "UA-05", "UA-05-R36", "UA-05-H154", KHARKIV_HROMADA)


def actor(role: Role, *regions: str) -> Actor:
    return Actor(name="duty", role=role, regions=frozenset(regions) if regions else None)


def forbidden(who: Actor, regions: list[str]) -> Forbidden:
    with pytest.raises(Forbidden) as info:
        authorize_alert(who, regions, TREE)
    assert info.value.code == "forbidden"
    assert info.value.status == 403
    return info.value


def test_kharkiv_hromada_is_below_a_raion_of_kharkiv() -> None:
    assert TREE.ancestors(KHARKIV_HROMADA) == [KHARKIV_RAION, "UA-63", "UA"]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUTOMATION])
def test_scoped_actor_may_alert_its_region(role: Role) -> None:
    assert authorize_alert(actor(role, "RU-BEL"), ["RU-BEL"], TREE) is None


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUTOMATION])
@pytest.mark.parametrize("code", [*UKRAINE, "RU", "RU-KRS"])
def test_scoped_actor_may_not_alert_outside(role: Role, code: str) -> None:
    error = forbidden(actor(role, "RU-BEL"), [code])
    assert error.field == "regions[0]"
    assert code in error.message
    assert "RU-BEL" in error.message


@pytest.mark.parametrize(
    ("regions", "field"),
    [
        (["RU-BEL", "UA-63"], "regions[1]"),
        (["RU-BEL", "RU-BEL", "UA-05-H154"], "regions[2]"),
        (["UA", "RU-BEL"], "regions[0]"),
    ],
)
def test_forbidden_names_the_first_region_outside(regions: list[str], field: str) -> None:
    assert forbidden(actor(Role.OPERATOR, "RU-BEL"), regions).field == field


@pytest.mark.parametrize("code", ["UA-63", KHARKIV_RAION, KHARKIV_HROMADA])
def test_oblast_operator_may_alert_within(code: str) -> None:
    assert authorize_alert(actor(Role.OPERATOR, "UA-63"), [code], TREE) is None


def test_oblast_operator_may_alert_many_within() -> None:
    within = [KHARKIV_HROMADA, "UA-63", KHARKIV_RAION]
    assert authorize_alert(actor(Role.OPERATOR, "UA-63"), within, TREE) is None


@pytest.mark.parametrize("code", ["UA", "UA-05", "UA-05-H154", "RU-BEL"])
def test_oblast_operator_may_not_alert_outside(code: str) -> None:
    error = forbidden(actor(Role.OPERATOR, "UA-63"), [KHARKIV_HROMADA, code])
    assert error.field == "regions[1]"


def test_operator_with_several_regions() -> None:
    both = actor(Role.OPERATOR, "UA-63", "RU-BEL")
    assert authorize_alert(both, ["RU-BEL", KHARKIV_HROMADA], TREE) is None
    assert forbidden(both, ["RU-BEL", "RU-KRS"]).field == "regions[1]"


def test_hromada_operator_may_not_alert_its_raion() -> None:
    error = forbidden(actor(Role.OPERATOR, KHARKIV_HROMADA), [KHARKIV_RAION])
    assert error.field == "regions[0]"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.APPROVER])
@pytest.mark.parametrize("scope", [(), ("UA-63",), ("UA",)])
def test_non_alerting_roles_cannot_alert(role: Role, scope: tuple[str, ...]) -> None:
    error = forbidden(actor(role, *scope), ["UA-63"])
    assert error.field is None
    assert role.value in error.message


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUTOMATION, Role.APPROVER])
def test_scoped_role_without_regions_is_not_unrestricted(role: Role) -> None:
    forbidden(Actor(name="x", role=role, regions=None), ["UA-63"])
    forbidden(Actor(name="x", role=role, regions=frozenset()), ["UA-63"])


@pytest.mark.parametrize(
    "regions", [["UA"], ["RU"], ["UA-63", "RU-BEL", "UA-05-H154"], [r.code for r in TREE]]
)
def test_admin_is_unrestricted(regions: list[str]) -> None:
    assert authorize_alert(actor(Role.ADMIN), regions, TREE) is None
    assert authorize_alert(LOCAL_ADMIN, regions, TREE) is None


def test_unknown_regions_are_left_to_validation() -> None:
    assert authorize_alert(actor(Role.OPERATOR, "RU-BEL"), ["RU-BEL", "XX-1"], TREE) is None


@pytest.mark.parametrize(
    ("role", "regions", "expected"),
    [
        (Role.OPERATOR, ["UA-63"], {"UA-63"}),
        (Role.OPERATOR, ["UA-63", "RU-BEL", "UA-63"], {"UA-63", "RU-BEL"}),
        (Role.AUTOMATION, ["UA"], {"UA"}),
        (Role.APPROVER, ["UA-05-H154"], {"UA-05-H154"}),
        (Role.ADMIN, [], set()),
        (Role.VIEWER, [], set()),
    ],
)
def test_validate_scope(role: Role, regions: list[str], expected: set[str]) -> None:
    assert validate_scope(role, regions, TREE) == frozenset(expected)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUTOMATION, Role.APPROVER])
def test_validate_scope_needs_regions_for_scoped_roles(role: Role) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_scope(role, [], TREE)
    assert (info.value.code, info.value.field) == ("invalid_input", "regions")
    assert role.value in info.value.message


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_validate_scope_refuses_regions_for_unscoped_roles(role: Role) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_scope(role, ["UA-63"], TREE)
    assert (info.value.code, info.value.field) == ("invalid_input", "regions")


@pytest.mark.parametrize("regions", [["XX-1"], ["UA-63", "XX-1"], ["ua-63"]])
def test_validate_scope_refuses_unknown_regions(regions: list[str]) -> None:
    with pytest.raises(UnknownRegion) as info:
        validate_scope(Role.OPERATOR, regions, TREE)
    assert (info.value.code, info.value.field) == ("unknown_region", "regions")


def test_require_role() -> None:
    assert require_role(actor(Role.ADMIN), Role.ADMIN) is None
    assert require_role(actor(Role.VIEWER), Role.ADMIN, Role.VIEWER) is None
    with pytest.raises(Forbidden) as info:
        require_role(actor(Role.OPERATOR, "UA"), Role.ADMIN, Role.APPROVER)
    assert info.value.message == "this needs the admin or approver role; the token has operator"


def test_actor_label() -> None:
    assert actor(Role.ADMIN).label == "duty"
    assert Actor("duty", Role.VIEWER, token_id="tk_1234").label == "duty (tk_1234)"
    assert (LOCAL_ADMIN.name, LOCAL_ADMIN.role, LOCAL_ADMIN.regions) == ("cli", Role.ADMIN, None)
