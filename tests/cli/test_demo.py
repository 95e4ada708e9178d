"""`tracker demo` builds a fresh demo database with every role, and never eats real data."""

from __future__ import annotations

import json

from tracker.cli import cli


def test_demo_loads_the_shipped_plans_and_prints_a_login_for_every_role(runner, database_url):
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    for label in ("单位填报员", "单位负责人", "督查室", "领导", "管理员"):
        assert label in result.output
    plans = json.loads(runner.invoke(cli, ["plans", "--json"]).output)
    assert sorted(p["code"] for p in plans) == ["ankang-2023", "xunyi-2024", "zixing-2021"]


def test_demo_can_be_run_again(runner, database_url):
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    again = runner.invoke(cli, ["demo"])
    assert again.exit_code == 0, again.output


def test_demo_refuses_a_database_with_real_data(runner, database_url, shipped_plans):
    runner.invoke(cli, ["load", str(shipped_plans[0])])
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 1
    assert "非演示数据" in result.output
    plans = json.loads(runner.invoke(cli, ["plans", "--json"]).output)
    assert [p["code"] for p in plans] == ["ankang-2023"]
