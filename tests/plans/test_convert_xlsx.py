"""Excel notices built in the test: title rows above the header, merged key tasks, units on several lines."""

from datetime import date, datetime

import pytest

from tracker.plans.convert import ConversionError, convert, convert_path


def flat(plan):
    return {m["code"]: m for s in plan["sections"] for m in s.get("measures", [])}


ROWS = [
    ["某市2024年乡村振兴重点任务分工表", None, None, None, None, None],
    ["某政办发〔2024〕3号", None, None, None, None, None],
    ["序号", "重点任务", "工作措施", "牵头单位", "配合单位", "完成时间"],
    [
        1,
        "（一）发展乡村产业",
        "建设高标准农田。新建5万亩。",
        "市农业农村局",
        "市财政局\n市自然资源局",
        "2024年10月31日",
    ],
    [2, None, "培育龙头企业，新增10家", "市农业农村局", None, datetime(2025, 6, 30)],
    [3, None, "发展乡村旅游", "市文旅局、市农业农村局", "各县（市、区）", "每半年"],
    [4, "（二）改善人居环境", "推进农村改厕", "市乡村振兴局", None, "2024年底前"],
    ["注：排在第一位的为牵头单位。", None, None, None, None, None],
]
MERGES = [(0, 0, 0, 5), (1, 0, 1, 5), (3, 1, 5, 1)]


def test_a_sheet_with_title_rows_and_a_merged_key_task_converts(make_xlsx):
    result = convert(make_xlsx(ROWS, MERGES))
    assert not result.problems
    plan = result.plan
    assert plan["plan"]["title"] == "某市2024年乡村振兴重点任务分工表"
    assert plan["plan"]["doc_number"] == "某政办发〔2024〕3号"
    assert [s["title"] for s in plan["sections"]] == ["发展乡村产业", "改善人居环境"]
    ms = flat(plan)
    assert list(ms) == ["1.1", "1.2", "1.3", "2.4"]
    assert ms["1.1"]["supporting"] == ["市财政局", "市自然资源局"]
    assert ms["1.1"]["deadline"] == date(2024, 10, 31)
    assert ms["1.2"]["deadline"] == date(2025, 6, 30) and ms["1.2"]["title"] == "培育龙头企业"
    assert ms["1.3"]["lead"] == ["市文旅局", "市农业农村局"] and ms["1.3"]["recurring"] == "half-yearly"


def test_a_key_task_left_blank_below_its_first_row_still_groups_them(make_xlsx):
    ms = flat(convert_path(make_xlsx(ROWS, MERGES[:2])))
    assert list(ms) == ["1.1", "1.2", "1.3", "2.4"]


def test_the_first_sheet_with_a_header_row_is_used(make_xlsx):
    path = make_xlsx(ROWS, MERGES, sheets=[("说明", [["本表为任务分工"], ["无表头"]])])
    assert len(flat(convert_path(path))) == 4


def test_units_under_a_single_responsible_column_follow_the_markers(make_xlsx):
    rows = [
        ["序号", "主要任务", "责任单位", "完成时限"],
        [1, "建设农田", "市农业农村局（牵头）\n市财政局", "长期坚持"],
        [2, "培育企业", "市商务局", "持续推进"],
        [3, "发展旅游", "市文旅局、市交通局", "2024年底前"],
    ]
    ms = flat(convert_path(make_xlsx(rows)))
    assert (ms["1.1"]["lead"], ms["1.1"]["responsible"]) == (["市农业农村局"], ["市财政局"])
    assert ms["1.2"]["lead"] == ["市商务局"]
    assert (ms["1.3"]["lead"], ms["1.3"]["responsible"]) == ([], ["市文旅局", "市交通局"])


def test_a_cell_that_cannot_be_read_is_named_by_sheet_and_cell(make_xlsx):
    rows = [
        ["序号", "主要任务", "牵头单位", "完成时限"],
        [1, "建设农田", "市农业农村局", "视情况"],
        [2, "培育", "市商务局", "下辈子"],
    ]
    result = convert(make_xlsx(rows))
    assert [str(p) for p in result.problems] == ["任务分工!D3: 措施 1.2: 无法识别的完成时限: '下辈子'"]


def test_a_workbook_without_a_header_row_says_what_it_looked_for(make_xlsx):
    with pytest.raises(ConversionError, match="表头"):
        convert_path(make_xlsx([["随便"], ["什么"]]))


def test_without_any_date_a_month_takes_the_year_the_other_deadlines_print(make_xlsx):
    rows = [
        ["序号", "主要任务", "牵头单位", "完成时限"],
        [1, "建设农田", "市农业农村局", "2025年6月底前"],
        [2, "培育", "市商务局", "年底前"],
    ]
    ms = flat(convert_path(make_xlsx(rows)))
    assert ms["1.2"]["deadline"] == date(2025, 12, 31)


def test_a_note_after_the_last_unit_is_not_part_of_its_name(make_xlsx):
    rows = [["序号", "主要任务", "责任单位"], [1, "建设农田", "市农业农村局(牵头)、市财政局(按职责分工负责)"]]
    assert flat(convert_path(make_xlsx(rows)))["1.1"]["responsible"] == ["市财政局"]
