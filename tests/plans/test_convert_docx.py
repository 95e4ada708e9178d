"""Word notices built in the test: paragraphs, and task tables with merged key tasks and title rows."""

from datetime import date

from tracker.plans.convert import convert, convert_path

HEADER = ["序号", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限"]


def flat(plan):
    out = {}

    def walk(sections):
        for s in sections:
            for m in s.get("measures", []):
                out[m["code"]] = m
            walk(s.get("sections", []))

    walk(plan["sections"])
    return out


def test_paragraph_notices_in_word_read_like_text(make_docx):
    path = make_docx(
        [
            ("p", "某县2024年重点任务分工方案"),
            ("p", "一、总体要求"),
            ("p", "坚持稳中求进。"),
            ("p", "二、重点任务"),
            ("p", "（一）发展产业"),
            ("p", "1．建设农田。新建5万亩。〔牵头单位：县农业农村局；责任单位：县财政局〕"),
            ("p", "2．培育企业。新增10家。"),
            ("p", "责任单位：县商务局（牵头）、县工信局"),
            ("p", "完成时限：2024年12月底前"),
        ]
    )
    ms = flat(convert_path(path))
    assert list(ms) == ["1.1", "1.2"]
    assert ms["1.2"]["lead"] == ["县商务局"] and ms["1.2"]["responsible"] == ["县工信局"]
    assert ms["1.2"]["deadline"] == date(2024, 12, 31)


def test_a_key_task_merged_down_groups_the_measures_beside_it(make_docx):
    rows = [
        ["某市乡村振兴重点任务分工表", None, None, None, None, None],
        HEADER,
        [
            "1",
            "一、发展乡村产业",
            "建设高标准农田。新建5万亩。",
            "市农业农村局",
            "市财政局\n市自然资源局",
            "2024年底前",
        ],
        ["2", None, "培育龙头企业", "市农业农村局", "市商务局、市工信局", "长期坚持"],
        ["3", "二、改善人居环境", "推进农村改厕", "市乡村振兴局", "各县（市、区）", "每季度"],
    ]
    path = make_docx([("p", "2024年3月1日"), ("table", rows, [(0, 0, 0, 5), (2, 1, 3, 1)])])
    result = convert(path)
    assert not result.problems
    plan = result.plan
    assert [(s["code"], s["title"]) for s in plan["sections"]] == [
        ("1", "发展乡村产业"),
        ("2", "改善人居环境"),
    ]
    ms = flat(plan)
    assert list(ms) == ["1.1", "1.2", "2.3"]
    assert ms["1.1"]["responsible"] == ["市财政局", "市自然资源局"]
    assert ms["1.1"]["title"] == "建设高标准农田"
    assert ms["2.3"]["responsible"] == ["各县(市、区)"] and ms["2.3"]["recurring"] == "quarterly"
    assert plan["plan"]["title"] == "某市乡村振兴重点任务分工表"


def test_a_table_under_each_heading_fills_that_heading(make_docx):
    header = ["序号", "工作任务", "责任单位", "完成时间"]
    path = make_docx(
        [
            ("p", "某市工作方案"),
            ("p", "一、产业发展"),
            (
                "table",
                [
                    header,
                    ["1", "建设农田", "市农业农村局", "2024年6月底前"],
                    ["2", "培育企业", "市商务局(牵头)、市财政局", "年底前"],
                ],
            ),
            ("p", "二、人才振兴"),
            ("table", [header, ["1", "培养人才", "市人社局", "每年"]]),
            ("p", "2024年2月1日"),
        ]
    )
    ms = flat(convert_path(path))
    assert list(ms) == ["1.1", "1.2", "2.1"]
    assert ms["1.2"]["lead"] == ["市商务局"] and ms["1.2"]["deadline"] == date(2024, 12, 31)


def test_an_unreadable_deadline_cell_is_named_by_table_row_and_column(make_docx):
    path = make_docx([("table", [HEADER, ["1", "产业", "建设农田", "市农业农村局", "", "看情况再说"]])])
    result = convert(path)
    assert [p.location for p in result.problems] == ["表1 第2行 F列"]


def test_a_two_row_header_splits_units_into_lead_and_supporting(make_docx):
    rows = [
        ["序号", "工作任务", "责任单位", None, "完成时限"],
        [None, None, "牵头单位", "配合单位", None],
        ["1", "建设农田", "市农业农村局", "市财政局;市水利局", "2025年6月底前"],
    ]
    path = make_docx([("table", rows, [(0, 2, 0, 3)])])
    m = flat(convert_path(path))["1.1"]
    assert (m["lead"], m["supporting"], m["deadline"]) == (
        ["市农业农村局"],
        ["市财政局", "市水利局"],
        date(2025, 6, 30),
    )


def test_word_list_numbering_is_read_back_into_the_outline(make_docx, tmp_path):
    from docx import Document

    doc = Document()
    doc.add_paragraph("某市2024年重点任务分工方案")
    doc.add_paragraph("一、重点任务")
    doc.add_paragraph("建设农田。新建5万亩。〔牵头单位:市农业农村局〕", style="List Number")
    doc.add_paragraph("培育企业。新增10家。〔牵头单位:市商务局〕", style="List Number")
    path = tmp_path / "numbered.docx"
    doc.save(path)
    ms = flat(convert_path(path))
    assert list(ms) == ["1.1", "1.2"] and ms["1.2"]["lead"] == ["市商务局"]
