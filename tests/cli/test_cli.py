"""The command line as CLI.md fixes it: exit codes, messages, JSON keys and the environment."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tracker.cli import cli
from tracker.settings import SETTINGS
from tracker.store.db import init_database
from tracker.store.models import AuditEvent, User

ROOT = Path(__file__).resolve().parents[2]


def test_init_creates_the_schema_and_is_safe_to_run_again(runner, database_url):
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    assert "created schema version" in first.output
    again = runner.invoke(cli, ["init"])
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output


def test_plans_json_gives_the_counts_of_every_shipped_plan(runner, database_url, shipped_plans):
    loaded = runner.invoke(cli, ["load", *map(str, shipped_plans)])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(cli, ["plans", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.output)}
    assert {k: (v["measures"], v["sections"], v["archived"]) for k, v in rows.items()} == {
        "ankang-2023": (46, 3, 0),
        "chongqing-2020-pilots": (12, 2, 0),  # 8 key tasks + 4 衔接 aspects
        "chongqing-2023-counties": (48, 4, 0),  # 3 mechanisms, 28 indicators, 14 projects, 3 duties
        "xunyi-2024": (38, 10, 0),
        "zixing-2021": (24, 5, 0),
    }
    for row in rows.values():
        assert {"code", "title", "sections", "measures", "archived", "units", "assignments"} <= set(row)
        assert row["units"] > 0 and row["assignments"] >= row["measures"]


def test_plans_lists_the_plans_in_words(runner, database_url, shipped_plans):
    runner.invoke(cli, ["load", str(shipped_plans[0])])
    result = runner.invoke(cli, ["plans"])
    assert result.exit_code == 0, result.output
    assert "措施 46" in result.output


def test_load_dry_run_writes_nothing(runner, database_url, shipped_plans):
    result = runner.invoke(cli, ["load", "--dry-run", *map(str, shipped_plans)])
    assert result.exit_code == 0, result.output
    assert "(dry run)" in result.output and "measure 46" in result.output
    assert json.loads(runner.invoke(cli, ["plans", "--json"]).output) == []


def test_load_of_a_bad_file_exits_1_naming_the_file_and_line(runner, database_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "plan:\n  code: x-1\n  title: 测试\n  start: 2024-01-01\n  end: 2024-02-30\nsections: []\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["load", str(bad)])
    assert result.exit_code == 1
    assert re.search(r"bad\.yaml:5: plan\.end: .*2024-02-30", result.output)


def test_load_without_files_is_a_usage_error(runner, database_url):
    assert runner.invoke(cli, ["load"]).exit_code == 2


def test_users_add_prints_a_one_time_password_that_must_be_changed(runner, database_url, shipped_plans):
    runner.invoke(cli, ["load", *map(str, shipped_plans)])
    result = runner.invoke(cli, ["users", "add", "chen", "--role", "reporter", "--unit", "安康市乡村振兴局"])
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password: (\S+)", result.output).group(1)
    init_database()
    user = User.get(User.username == "chen")
    assert user.must_change_password and user.unit.name == "安康市乡村振兴局"
    assert password not in user.password_hash


def test_users_add_takes_a_password_from_stdin(runner, database_url):
    result = runner.invoke(
        cli, ["users", "add", "boss", "--role", "admin", "--password-stdin"], input="a long enough secret\n"
    )
    assert result.exit_code == 0, result.output
    assert "one-time password" not in result.output


def test_users_add_refuses_an_ambiguous_unit_name(runner, database_url, shipped_plans):
    runner.invoke(cli, ["load", *map(str, shipped_plans)])
    result = runner.invoke(cli, ["users", "add", "x", "--role", "reporter", "--unit", "市乡村振兴局"])
    assert result.exit_code == 1
    assert "安康市乡村振兴局" in result.output and "资兴市乡村振兴局" in result.output


def test_tracker_now_fixes_the_time_of_every_recorded_change(runner, database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")
    runner.invoke(cli, ["users", "add", "boss", "--role", "admin"])
    init_database()
    event = AuditEvent.get(AuditEvent.action == "user.create")
    assert event.at.isoformat() == "2024-05-20T10:00:00+08:00"


def test_a_tracker_now_without_offset_is_refused(runner, database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00")
    result = runner.invoke(cli, ["users", "add", "boss", "--role", "admin"])
    assert result.exit_code == 1
    assert "needs an offset" in result.output


def test_every_setting_is_in_the_help_and_the_readme(runner):
    help_text = runner.invoke(cli, ["--help"]).output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert s.name in help_text
        assert s.name in readme


def test_every_command_has_help(runner):
    for command in ("init", "load", "plans", "serve", "demo", "convert"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
    assert runner.invoke(cli, ["users", "add", "--help"]).exit_code == 0


def test_convert_turns_a_text_notice_into_a_plan_file_that_load_accepts(runner, database_url, tmp_path):
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "关于印发《某县人居环境整治工作方案》的通知\n某县人民政府办公室\n2024年3月1日\n"
        "一、重点任务\n(一)厕所革命\n1.推进改厕。年内完成改厕任务。〔牵头单位:县农业农村局;责任单位:县卫健局〕\n"
        "完成时限:2024年10月31日\n",
        encoding="utf-8",
    )
    out = tmp_path / "plan.yaml"
    result = runner.invoke(cli, ["convert", str(notice), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "县农业农村局" in text and "2024-10-31" in text
    as_json = runner.invoke(cli, ["convert", str(notice), "--json"])
    plan = json.loads(as_json.stdout)
    assert plan["sections"][0]["measures"][0]["lead"] == ["县农业农村局"]
    refused = runner.invoke(cli, ["load", "--dry-run", str(out)])
    assert refused.exit_code == 1  # units unknown until the reviewer names them: listed, nothing loaded
    assert "县农业农村局" in refused.output


def test_convert_of_an_unreadable_notice_exits_1_and_says_why(runner, tmp_path):
    notice = tmp_path / "empty.txt"
    notice.write_text("这是一段没有编号条目的普通文字。\n", encoding="utf-8")
    result = runner.invoke(cli, ["convert", str(notice)])
    assert result.exit_code == 1
    assert "没有找到任何措施" in result.output
