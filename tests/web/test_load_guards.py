"""One loader for `tracker load` and the web upload, with the same guards: aliases refused, unknown keys
refused (or warned with --allow-unknown), nesting bounded, lengths checked against the columns on
SQLite and PostgreSQL alike; every failure a Chinese message naming the line, never a traceback."""

from __future__ import annotations

import io

import pytest

from tests.web.conftest import csrf_token, sign_in
from tracker.cli import cli
from tracker.services.users import add_user
from tracker.store.db import init_database
from tracker.store.models import Assignment, Plan, Unit

PLAN = """\
plan:
  code: guard-2024
  title: 测试县重点任务分工方案
  start: 2024-01-01
  end: 2024-12-31
units:
  - {{name: {unit}, short: 县水利局}}
sections:
  - code: "1"
    title: 重点任务
    measures:
      - code: "1.1"
        title: 保障饮水安全
        {lead_key}: [县水利局]
{extra}"""


def plan_text(unit="测试县水利局", lead_key="lead", extra="") -> str:
    return PLAN.format(unit=unit, lead_key=lead_key, extra=extra)


BILLION_LAUGHS = """\
a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
plan: {code: laughs, title: *i}
"""


def load(runner, tmp_path, text: str, *options: str):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(cli, ["load", str(path), *options])


def nothing_loaded(database_url) -> bool:
    init_database(database_url)
    return Plan.select().count() == 0 and Unit.select().count() == 0


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (BILLION_LAUGHS, 1, "不能使用 YAML 锚点或别名"),
        ("plan: &p {code: self, title: *p}\n", 1, "不能使用 YAML 锚点或别名"),
        ("plan: " + "[" * 3000 + "]" * 3000 + "\n", 1, "层级过深"),
        (plan_text(lead_key="leader"), 14, "未知字段 'leader'"),
        (plan_text(extra="targets:\n  - {name: 县城, tags: 5}\n"), 16, "应为单位名称列表"),
        (plan_text(unit="测" * 300), 7, "长度 300 字,超过上限 200 字"),
    ],
    ids=["billion laughs", "self-reference", "3000 deep", "typo'd key", "tags: 5", "300-character name"],
)
def test_a_bad_plan_file_is_refused_naming_its_line_and_loads_nothing(
    runner, database_url, tmp_path, text, line, reason
):
    result = load(runner, tmp_path, text)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert "加载失败,数据库未作任何改动" in result.output
    assert f"plan.yaml:{line}" in result.output and reason in result.output
    assert nothing_loaded(database_url)


def test_allow_unknown_downgrades_an_unknown_key_to_a_warning(runner, database_url, tmp_path):
    result = load(runner, tmp_path, plan_text(extra="notes: 内部备注\n"), "--allow-unknown")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "notes" in result.output and "未知字段" in result.output
    init_database(database_url)
    assert Plan.select().count() == 1 and Assignment.select().count() == 1


def test_a_name_that_fits_its_column_loads_on_either_database(runner, database_url, tmp_path):
    result = load(runner, tmp_path, plan_text(unit="测" * 200))
    assert result.exit_code == 0, result.output
    init_database(database_url)
    assert Unit.get().name == "测" * 200


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (plan_text(extra="targets:\n  - {name: 县城, tags: 5}\n"), "应为单位名称列表"),
        (plan_text(lead_key="leader"), "未知字段 &#39;leader&#39;"),
        (BILLION_LAUGHS, "不能使用 YAML 锚点或别名"),
    ],
    ids=["tags: 5", "typo'd key", "billion laughs"],
)
def test_the_upload_preview_shows_the_same_problems_and_never_answers_500(client, database, text, shown):
    add_user("admin", "admin", None, "correct horse battery", must_change=False)
    assert sign_in(client, "admin").status_code == 302
    token = csrf_token(client, "/admin/plans")
    response = client.post(
        "/admin/plans/upload",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode("utf-8")), "方案.yaml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code in (200, 400), response.status_code
    assert shown in response.get_data(as_text=True)
    assert Plan.select().count() == 0
