"""Text notices: numbering levels, framing headings, the wrapper heading, each clause style, metadata."""

from datetime import date

import pytest

from tracker.plans.convert import ConversionError, convert_bytes, convert_text, dump_json, dump_yaml
from tracker.plans.schema import parse_plan

HEAD = """关于印发《某市2024年乡村振兴重点任务分工方案》的通知
某政办发[2024] 12号
各县(市、区)人民政府,市直各单位:
现将《某市2024年乡村振兴重点任务分工方案》印发给你们,请认真贯彻落实。
某市人民政府办公室
2024年3月15日
某市2024年乡村振兴重点任务分工方案
为推进乡村振兴,制定本方案。
一、总体要求
以习近平新时代中国特色社会主义思想为指导,全面推进乡村振兴。
二、重点任务
"""
TAIL = """三、保障措施
(一)加强组织领导。各地各部门要高度重视。
(二)强化督导考核。市委督查室定期督查。
"""


def measures(plan):
    out = {}

    def walk(sections):
        for s in sections:
            for m in s.get("measures", []):
                out[m["code"]] = m
            walk(s.get("sections", []))

    walk(plan["sections"])
    return out


def convert(body: str, name="notice.txt"):
    result = convert_text(HEAD + body + TAIL, name)
    return result, measures(result.plan)


def test_the_wrapper_heading_gives_way_to_its_groups_and_framing_headings_are_left_out():
    result, ms = convert(
        "(一)发展乡村产业\n1.建设高标准农田。新建5万亩。〔牵头单位:市农业农村局;责任单位:市财政局〕\n"
        "2.培育龙头企业。新增10家。〔牵头单位:市农业农村局〕\n"
        "(二)改善人居环境\n3.推进农村改厕。完成2600座。〔牵头单位:市乡村振兴局;责任单位:各县(市、区)〕\n"
    )
    assert [(s["code"], s["title"]) for s in result.plan["sections"]] == [
        ("1", "发展乡村产业"),
        ("2", "改善人居环境"),
    ]
    assert list(ms) == ["1.1", "1.2", "2.3"]
    assert ms["2.3"]["responsible"] == ["各县(市、区)"]
    assert not result.problems and not result.warnings


@pytest.mark.parametrize(
    ("clause", "lead", "responsible", "supporting"),
    [
        ("〔牵头单位:市发改委;责任单位:市财政局、市商务局〕", ["市发改委"], ["市财政局", "市商务局"], []),
        ("(牵头单位:市发改委,责任单位:市财政局)", ["市发改委"], ["市财政局"], []),
        (
            "（牵头单位：市发改委，责任单位：市财政局，各县（市、区））",
            ["市发改委"],
            ["市财政局", "各县(市、区)"],
            [],
        ),
        ("【牵头单位：市发改委；配合单位：市财政局、市统计局】", ["市发改委"], [], ["市财政局", "市统计局"]),
        ("(牵头单位:市卫生健康委、市医保局)", ["市卫生健康委", "市医保局"], [], []),
        ("(责任单位:市民政局)", ["市民政局"], [], []),
        ("(市发改委牵头,市财政局、市商务局配合)", ["市发改委"], [], ["市财政局", "市商务局"]),
        ("\n责任单位:市发改委(牵头)、市财政局、市商务局", ["市发改委"], ["市财政局", "市商务局"], []),
        ("\n责任单位：市发改委（牵头）\n", ["市发改委"], [], []),
        (
            "\n牵头单位:市发改委\n责任单位:市财政局;市商务局\n配合单位:市统计局",
            ["市发改委"],
            ["市财政局", "市商务局"],
            ["市统计局"],
        ),
        ("\n牵头单位: 市 发改委 \n责任单位: 市财政局 市商务局", ["市发改委"], ["市财政局", "市商务局"], []),
        ("。责任单位:市发改委、市财政局", [], ["市发改委", "市财政局"], []),
    ],
)
def test_each_clause_style_assigns_lead_responsible_and_supporting_units(
    clause, lead, responsible, supporting
):
    result, ms = convert(f"(一)发展乡村产业\n1.建设高标准农田。新建5万亩{clause}\n")
    m = ms["1.1"]
    assert (m["lead"], m["responsible"], m["supporting"]) == (lead, responsible, supporting)
    assert m["title"] == "建设高标准农田"
    assert "牵头单位" not in m["text"]


@pytest.mark.parametrize(
    ("line", "deadline", "recurring", "printed"),
    [
        ("完成时限:2025年6月底前", date(2025, 6, 30), None, "2025年6月底前"),
        ("完成时间：年底前", date(2024, 12, 31), None, "年底前"),
        ("完成时限:每月25日前", None, "monthly", "每月25日前"),
        ("完成时限：长期坚持", None, None, "长期坚持"),
    ],
)
def test_a_deadline_line_after_an_item_sets_its_deadline(line, deadline, recurring, printed):
    _, ms = convert(f"(一)发展乡村产业\n1.建设高标准农田。新建5万亩。\n牵头单位:市农业农村局\n{line}\n")
    m = ms["1.1"]
    assert (m["deadline"], m["recurring"], m["deadline_text"]) == (deadline, recurring, printed)


def test_a_deadline_inside_the_bracket_clause_is_read_too():
    _, ms = convert("(一)产业\n1.建设农田。新建。〔牵头单位:市农业农村局;完成时限:2026年底前〕\n")
    assert ms["1.1"]["deadline"] == date(2026, 12, 31)


def test_an_unreadable_deadline_is_a_problem_naming_its_line():
    result, _ = convert("(一)产业\n1.建设农田。新建。\n牵头单位:市农业农村局\n完成时限:视天气而定吧\n")
    assert len(result.problems) == 1
    assert result.problems[0].location.startswith("第") and "视天气而定吧" in result.problems[0].reason


def test_sub_points_and_a_second_paragraph_belong_to_their_item_and_its_clause():
    _, ms = convert(
        "(一)产业\n1.建设农田。主要抓好:\n(1)新建高标准农田;\n(2)改造中低产田。\n第二段说明。\n"
        "〔牵头单位:市农业农村局;责任单位:市财政局〕\n2.培育企业。新增10家。〔牵头单位:市商务局〕\n"
    )
    assert list(ms) == ["1.1", "1.2"]
    assert ms["1.1"]["lead"] == ["市农业农村局"] and "改造中低产田" in ms["1.1"]["text"]


def test_top_level_parts_that_are_not_a_wrapper_keep_their_own_codes():
    text = (
        "一、总体要求\n要求。\n二、产业发展\n1.建设农田。新建。(牵头单位:市农业农村局)\n2.培育企业。新增。(牵头单位:市商务局)\n"
        "三、人才振兴\n1、培养人才。培养。(牵头单位:市人社局)\n四、工作要求\n(一)加强领导。各地要重视。\n"
    )
    result = convert_text(text)
    assert [s["title"] for s in result.plan["sections"]] == ["产业发展", "人才振兴"]
    assert list(measures(result.plan)) == ["1.1", "1.2", "2.1"]


def test_work_measures_written_as_paragraphs_become_a_section_of_measures():
    text = (
        "二、工作任务\n(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n(二)人才\n2.培养人才。培养。(牵头单位:市人社局)\n"
        "三、工作措施\n(一)加强组织领导。成立专班。〔牵头单位:市委办;责任单位:市政府办〕\n"
        "(二)加大资金支持。安排资金。〔牵头单位:市财政局〕\n四、工作要求\n(一)强化落实。各地要落实。\n"
    )
    result = convert_text(text)
    assert [(s["code"], s["title"]) for s in result.plan["sections"]] == [
        ("1", "产业"),
        ("2", "人才"),
        ("3", "工作措施"),
    ]
    assert list(measures(result.plan)) == ["1.1", "2.2", "3.1", "3.2"]


def test_numbering_levels_nest_whatever_style_comes_first():
    text = "(一)产业发展\n1、建设农田。新建。(牵头单位:市农业农村局)\n2．培育企业。新增。(牵头单位:市商务局)\n(二)人才\n1.培养。培养人才。(牵头单位:市人社局)\n"
    assert list(measures(convert_text(text).plan)) == ["1.1", "1.2", "2.1"]


def test_an_item_without_units_is_left_empty_and_flagged_when_others_have_units():
    result, ms = convert("(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n2.培育企业。新增10家。\n")
    assert ms["1.2"]["lead"] == [] and ms["1.2"]["responsible"] == []
    assert not result.problems
    assert [w.location for w in result.warnings] == ["第14行"]


def test_a_notice_that_assigns_no_units_gets_empty_lists_and_no_warnings():
    result, ms = convert("(一)产业\n1.建设农田。新建。\n2.培育企业。新增10家。\n")
    assert all(m["lead"] == [] for m in ms.values()) and not result.warnings


def test_units_in_a_group_heading_apply_to_its_items_that_print_none():
    _, ms = convert(
        "(一)产业(牵头单位:市农业农村局)\n1.建设农田。新建。\n2.培育企业。新增。(牵头单位:市商务局)\n"
    )
    assert ms["1.1"]["lead"] == ["市农业农村局"] and ms["1.2"]["lead"] == ["市商务局"]


def test_the_first_listed_unit_leads_when_the_notice_says_so():
    text = "排在第一位的为牵头单位。\n(一)产业\n1.建设农田。新建。(责任单位:市农业农村局、市财政局)\n"
    _, ms = convert(text)
    assert ms["1.1"]["lead"] == ["市农业农村局"] and ms["1.1"]["responsible"] == ["市财政局"]


def test_plan_metadata_comes_from_the_notice():
    result, _ = convert("(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n")
    plan = result.plan["plan"]
    assert plan["title"] == "某市2024年乡村振兴重点任务分工方案"
    assert plan["issuer"] == "某市人民政府办公室"
    assert plan["doc_number"] == "某政办发〔2024〕12号"
    assert plan["issued"] == date(2024, 3, 15)
    assert plan["code"] == "notice-2024" and "占位" in plan["source"]


def test_a_slug_file_name_becomes_the_plan_code():
    result, _ = convert("(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n", name="moushi-2024.txt")
    assert result.plan["plan"]["code"] == "moushi-2024"


def test_the_output_is_a_plan_file_the_loader_accepts():
    result, _ = convert("(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局;完成时限:2024年6月底前)\n")
    for dumped in (dump_yaml(result.plan),):
        assert "建设农田" in dumped and 'code: "1.1"' in dumped and "deadline: 2024-06-30" in dumped
    parsed = parse_plan(result.plan)
    assert parsed.sections[0].measures[0].lead == ("市农业农村局",)
    assert '"deadline": "2024-06-30"' in dump_json(result.plan)


def test_a_text_file_in_gbk_is_read():
    result = convert_bytes(
        (HEAD + "(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n").encode("gbk"), "n.txt"
    )
    assert measures(result.plan)["1.1"]["lead"] == ["市农业农村局"]


def test_text_with_no_items_is_a_conversion_problem():
    result = convert_text("只是一段话。\n")
    assert result.problems and "没有找到任何措施" in result.problems[0].reason
    with pytest.raises(ConversionError):
        from tracker.plans.convert import convert_path  # noqa: F401

        raise ConversionError(result.problems)


def test_markdown_tables_are_read_as_task_tables():
    md = (
        "# 某市任务分工表\n\n| 序号 | 重点任务 | 具体措施 | 牵头单位 | 完成时限 |\n|---|---|---|---|---|\n"
        "| 1 | 产业发展 | 建设农田。新建5万亩。 | 市农业农村局 | 2024年底前 |\n"
        "| 2 |  | 培育企业 | 市商务局 | 长期坚持 |\n| 3 | 人才振兴 | 培养人才 | 市人社局 | 每季度 |\n"
    )
    result = convert_text(md, "plan.md")
    ms = measures(result.plan)
    assert list(ms) == ["1.1", "1.2", "2.3"]
    assert ms["1.2"]["lead"] == ["市商务局"] and ms["2.3"]["recurring"] == "quarterly"


def test_a_heading_that_ends_with_a_full_stop_is_still_a_group():
    _, ms = convert("(一)发展乡村产业。\n1.建设农田。新建。\n2.培育企业。新增10家。\n")
    assert list(ms) == ["1.1", "1.2"]


def test_an_annex_label_is_not_part_of_the_title():
    result = convert_text(
        "附件1\n某市重点任务分工方案\n一、重点任务\n1.建设农田。新建。(牵头单位:市农业农村局)\n"
    )
    assert result.plan["plan"]["title"] == "某市重点任务分工方案"


def test_a_stray_item_among_the_wrapper_groups_gets_a_section_of_its_own():
    result, ms = convert(
        "(一)产业\n1.建设农田。新建。(牵头单位:市农业农村局)\n(二)人才\n2.培养人才。培养。(牵头单位:市人社局)\n"
        "(三)加强宣传引导。营造氛围。(牵头单位:市委宣传部)\n"
    )
    assert [s["code"] for s in result.plan["sections"]] == ["1", "2", "3"]
    assert list(ms) == ["1.1", "2.2", "3.3"] and ms["3.3"]["lead"] == ["市委宣传部"]


def test_a_clause_broken_over_two_lines_is_read_as_one():
    _, ms = convert(
        "(一)产业\n1.建设农田。新建。〔牵头单位:市农业农村局,责任单位:市委组织部,\n各乡镇(街道)〕\n2.培育。新增。\n"
    )
    assert ms["1.1"]["responsible"] == ["市委组织部", "各乡镇(街道)"]
