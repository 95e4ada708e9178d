"""Every API operation × every role's token × the unit's own object and another unit's.

Cells, in the order of ROLES: "ok" 2xx; "403" refused for the role; "404" not found or another
unit's object (never confirmed); "a|b" for own|other. Without a token every operation is 401.
The table must name every operation of the OpenAPI document.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer
from tests.web.world import World
from tracker.store.models import ReportRevision
from tracker.web.api.spec import OPERATIONS

# "county" is a county-level office: an inspector scoped to unit A and the units under it.
ROLES = ("reporter", "unit_leader", "county", "inspector", "leader", "admin")
AS = {
    "reporter": "clerk",
    "unit_leader": "boss",
    "county": "county",
    "inspector": "inspector",
    "leader": "leader",
    "admin": "admin",
}
ALL = ("ok",) * 6
OWN_READ = ("ok|404", "ok|404", "ok|404", "ok", "ok", "ok")
OWN_WRITE = ("ok|404", "ok|404", "403", "403", "403", "403")

TABLE = {
    "plans": ALL,
    "measures": ALL,
    "board": ("403", "403", "403", "ok", "ok", "ok"),
    "assignments": ALL,
    "assignment": OWN_READ,
    "reports": OWN_READ,
    "report_save": OWN_WRITE,
    "findings": ALL,
    "finding": OWN_READ,
    "finding_answer": OWN_WRITE,
}


def _args(w: World, side: str) -> dict:
    return {
        "code": w.plan.code,
        "period": w.period,
        "assignment_id": w.side(side).assignment.id,
        "finding_id": w.side(side).finding.id,
    }


def _body(w: World, side: str, endpoint: str):
    if endpoint == "report_save":
        latest = ReportRevision.select().where(ReportRevision.report == w.side(side).report).count()
        return {"period": w.period, "percent": 45, "narrative": "按月推进", "expected_revision": latest}
    if endpoint == "finding_answer":
        return {"note": "已按要求整改完毕。"}
    return None


def test_the_table_names_every_operation():
    assert sorted(TABLE) == sorted(op.endpoint for op in OPERATIONS)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.endpoint)
def test_each_roles_token_gets_what_the_table_says(op, app, client, world, county, token_of):
    url_of = app.url_map.bind("localhost")
    secrets = {role: token_of(AS[role]) for role in ROLES}
    wrong = []
    for side in ("own", "other"):
        url = url_of.build(
            f"api.{op.endpoint}",
            {k: v for k, v in _args(world, side).items() if f"<{k}>" in op.rule or f":{k}>" in op.rule},
        )
        anonymous = client.open(url, method=op.method.upper(), json=_body(world, side, op.endpoint))
        if anonymous.status_code != 401:
            wrong.append(f"no token {side} {url}: {anonymous.status_code}")
        for role, cell in zip(ROLES, TABLE[op.endpoint], strict=True):
            own, _, other = cell.partition("|")
            want = own if side == "own" or not other else other
            answer = client.open(
                url,
                method=op.method.upper(),
                headers=bearer(secrets[role]),
                json=_body(world, side, op.endpoint),
            )
            got = "ok" if 200 <= answer.status_code < 300 else str(answer.status_code)
            if got != want:
                wrong.append(f"{role:<12} {side:<5} {url}: {answer.status_code}, table says {want}")
            if got != "ok":
                assert answer.get_json()["error"]["code"], url
    assert not wrong, f"{op.endpoint}:\n" + "\n".join(wrong)
