"""Notices the converter has never seen, generated with the printed conventions and their expected measures.

Each notice varies what offices vary: numbering and punctuation width, the wrapper heading, framing
headings, clause style and place, deadline wording, unit separators, Word paragraphs, Word and Excel
tables with merged or blank-ditto key tasks and title rows. At least 95% of measures must come out
fully right (code, title, lead, other units, deadline and recurrence).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import pytest

from tracker.plans.convert import convert, convert_text

CITY_UNITS = [
    "市发展改革委", "市财政局", "市农业农村局", "市教育局", "市民政局", "市人社局", "市住建局（市人防办）",
    "市自然资源局", "市水利局", "市卫生健康委", "市医保局", "市乡村振兴局", "市委组织部", "市委宣传部",
    "市商务局", "市文化和旅游局", "市交通运输局", "市生态环境局", "市市场监管局", "各县（市、区）人民政府",
    "市供销社", "国网某市供电公司", "市科技局", "市应急管理局", "市公安局", "市林业局", "团市委", "市妇联",
    "市残联", "市委网信办", "市数据局", "市税务局", "人民银行某市分行",
]  # fmt: skip
VERBS = [
    "加强",
    "推进",
    "完善",
    "健全",
    "落实",
    "深化",
    "强化",
    "提升",
    "开展",
    "实施",
    "做好",
    "扎实推进",
    "加快",
]
OBJECTS = [
    "防返贫动态监测", "农村人居环境整治", "高标准农田建设", "农村饮水安全保障", "乡村公益岗位管理", "驻村帮扶管理",
    "村集体经济发展", "易地搬迁后续扶持", "小额信贷管理", "脱贫劳动力技能培训", "农村危房改造", "特色产业培育",
    "农产品品牌建设", "乡村旅游发展", "农村寄递物流体系建设", "数字乡村建设", "农村公路管护", "基层党组织建设",
    "移风易俗", "乡村医疗服务", "义务教育控辍保学", "低收入人口救助", "消费帮扶", "东西部协作", "衔接资金监管",
    "扶贫项目资产管理", "农村改厕", "生活垃圾治理", "污水治理", "人才振兴", "科技特派员服务", "金融服务",
]  # fmt: skip
BODIES = [
    "围绕目标任务,建立工作台账,确保各项任务落到实处。",
    "全年完成改造2600户(含城镇),对照清单逐项推进。",
    "一是摸清底数;二是分类施策;三是定期调度。",
    "到2025年底,基本实现全覆盖,群众满意度明显提升。",
    "按照“县级统筹、乡镇落实、村组实施”的原则,压实工作责任。",
    "每月开展1次督导检查,及时发现问题、整改问题。",
    "加大资金投入,统筹用好各类资金,提高资金使用效益。",
]
GROUPS = ["巩固拓展脱贫攻坚成果", "推动乡村产业高质量发展", "扎实推进乡村建设", "加强和改进乡村治理",
          "强化要素保障", "促进农民增收", "深化农村改革"]  # fmt: skip


def deadlines(y: int):
    return [
        (f"{y + 1}年6月底前", date(y + 1, 6, 30), None),
        (f"{y}年10月31日", date(y, 10, 31), None),
        (f"{y + 2}年底前", date(y + 2, 12, 31), None),
        ("年底前", date(y, 12, 31), None),
        ("6月底前", date(y, 6, 30), None),
        (f"{y}年9月30日前", date(y, 9, 30), None),
        (f"{y}年12月", date(y, 12, 31), None),
        ("长期坚持", None, None),
        ("持续推进", None, None),
        ("每月25日前", None, "monthly"),
        ("每季度", None, "quarterly"),
        ("每半年", None, "half-yearly"),
        ("每年", None, "yearly"),
        ("每学期", None, "half-yearly"),
    ]


@dataclass
class Expected:
    code: str
    title: str
    lead: list[str]
    responsible: list[str]
    supporting: list[str]
    deadline: date | None
    recurring: str | None


def norm(name: str) -> str:
    return name.replace("（", "(").replace("）", ")")


class Notice:
    """One generated notice: its lines (or table rows) and the measures it must convert to."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.year = self.r.choice([2022, 2023, 2024, 2025])
        self.expected: list[Expected] = []
        self.used_titles: set[str] = set()
        self.full_width = self.r.random() < 0.5
        self.taken: set[str] = set()

    def punct(self, text: str) -> str:
        if self.full_width:
            return (
                text.replace(":", "：")
                .replace(";", "；")
                .replace(",", "，")
                .replace("(", "（")
                .replace(")", "）")
            )
        return text

    def title(self) -> str:
        while True:
            t = self.r.choice(VERBS) + self.r.choice(OBJECTS)
            if t not in self.used_titles:
                self.used_titles.add(t)
                return t

    def units(self, k: int) -> list[str]:
        """k units not yet used in the current measure (a unit has one role in a measure)."""
        free = [u for u in CITY_UNITS if u not in self.taken]
        picked = self.r.sample(free, k)
        self.taken |= set(picked)
        return picked

    def deadline(self):
        return self.r.choice(deadlines(self.year)) if self.r.random() < 0.7 else (None, None, None)

    def preamble(self) -> list[str]:
        y = self.year
        plan_title = f"某市{y}年巩固拓展脱贫攻坚成果重点任务分工方案"
        lines = [
            f"关于印发《{plan_title}》的通知",
            self.r.choice(
                [f"某政办发〔{y}〕{self.r.randint(1, 40)}号", f"某政办发[{y}]{self.r.randint(1, 40)}号"]
            ),
            "各县（市、区）人民政府,市直有关单位:",
            f"现将《{plan_title}》印发给你们,请认真抓好落实。",
            "某市人民政府办公室",
            f"{y}年{self.r.randint(1, 4)}月{self.r.randint(1, 28)}日",
            plan_title,
            "为深入贯彻落实中央决策部署,结合我市实际,制定本方案。",
        ]
        return lines

    # -- text notices -----------------------------------------------------------------------------

    def item_lines(self, label: str, code: str, units_assigned: bool) -> list[str]:
        r = self.r
        self.taken = set()
        title = self.title()
        body = r.choice(BODIES)
        lead, resp, supp = [], [], []
        text_deadline, d, rec = self.deadline()
        styles = ["bracket1", "bracket2", "bracket3", "line1", "lines", "single", "leads", "labels", "verbs"]
        style = r.choice(styles) if units_assigned else None
        first = f"{label}{title}。{body}"
        after: list[str] = []
        if r.random() < 0.15:
            first, after = f"{label}{title}", [body]
        if style == "bracket1":
            lead, resp = self.units(1), self.units(r.randint(1, 4))
            sep = r.choice(["、", "、", ",", "，"])
            clause = f"牵头单位:{lead[0]};责任单位:{sep.join(resp)}"
            first += self.clause(clause, text_deadline, "〔〕")
        elif style == "bracket2":
            lead, resp = self.units(1), self.units(r.randint(1, 3))
            first += self.clause(f"牵头单位:{lead[0]},责任单位:{'、'.join(resp)}", text_deadline, "()")
        elif style == "bracket3":
            lead, supp = self.units(1), self.units(r.randint(1, 3))
            first += self.clause(f"牵头单位:{lead[0]};配合单位:{'、'.join(supp)}", text_deadline, "【】")
        elif style == "line1":
            lead, resp = self.units(1), self.units(r.randint(1, 3))
            after.append(self.punct(f"责任单位:{lead[0]}(牵头)、{'、'.join(resp)}"))
            if text_deadline:
                after.append(self.punct(f"{r.choice(['完成时限', '完成时间'])}:{text_deadline}"))
        elif style == "lines":
            lead, resp = self.units(1), self.units(r.randint(1, 3))
            after.append(self.punct(f"牵头单位:{lead[0]}"))
            after.append(self.punct(f"责任单位:{'、'.join(resp)}"))
            if r.random() < 0.5:
                supp = self.units(1)
                supp = [u for u in supp if u not in lead + resp]
                if supp:
                    after.append(self.punct(f"配合单位:{supp[0]}"))
            if text_deadline:
                after.append(self.punct(f"完成时限:{text_deadline}"))
        elif style == "single":
            lead = self.units(1)
            first += self.clause(f"责任单位:{lead[0]}", text_deadline, "()")
        elif style == "labels":
            lead, resp = self.units(1), self.units(r.randint(1, 3))
            first += f"【牵头单位】{lead[0]}【责任单位】{'、'.join(resp)}"
            if text_deadline:
                first += self.punct(f"【完成时限】{text_deadline}")
        elif style == "verbs":
            lead, supp = self.units(1), self.units(r.randint(1, 2))
            first += self.punct(f"({lead[0]}牵头,{'、'.join(supp)}配合)")
            if text_deadline:
                after.append(self.punct(f"完成时间:{text_deadline}"))
        elif style == "leads":
            lead = self.units(2)
            first += self.clause(f"牵头单位:{'、'.join(lead)}", text_deadline, "〔〕")
        else:
            text_deadline, d, rec = None, None, None
        if (
            style in ("bracket1", "bracket2", "bracket3", "single", "leads")
            and r.random() < 0.2
            and not after
        ):
            # a second paragraph before the clause moves the clause to a line of its own
            clause_start = first.index(title) + len(title) + 1 + len(body)
            after = [first[clause_start:]] if first[clause_start:] else []
            first = first[:clause_start]
            after.insert(0, "同时,加强宣传引导,营造良好氛围。")
        self.expected.append(
            Expected(
                code, title, [norm(u) for u in lead], [norm(u) for u in resp], [norm(u) for u in supp], d, rec
            )
        )
        return [first, *after]

    def clause(self, clause: str, deadline: str | None, brackets: str) -> str:
        if deadline and self.r.random() < 0.6:
            clause += f";完成时限:{deadline}"
            deadline = None
        text = brackets[0] + self.punct(clause) + brackets[1]
        if deadline:
            # no room in the bracket: the deadline line follows (added by the caller's pattern)
            text += "\n" + self.punct(f"完成时限:{deadline}")
        return text

    def text_notice(self) -> list[str]:
        r = self.r
        lines = self.preamble()
        lines += ["一、总体要求", "坚持稳中求进工作总基调,确保不发生规模性返贫。"]
        group_label = r.choice(["（{}）", "({})"])
        item_label = r.choice(["{}.", "{}、", "{}．"])
        cn = "一二三四五六七八九十"
        layout = r.choice(["wrapper", "parts", "wrapper_measures"])
        continuous = r.random() < 0.5
        n = 0
        if layout in ("wrapper", "wrapper_measures"):
            lines.append(r.choice(["二、重点任务", "二、工作任务", "二、主要任务", "二、工作重点"]))
            groups = r.sample(GROUPS, r.randint(2, 4))
            for g, group in enumerate(groups, 1):
                lines.append(group_label.format(cn[g - 1]) + group)
                for i in range(1, r.randint(2, 4) + 1):
                    n = n + 1 if continuous else i
                    lines += self.item_lines(item_label.format(n), f"{g}.{n}", True)
            if layout == "wrapper_measures":
                lines.append("三、工作措施")
                g = len(groups) + 1
                for i in range(1, r.randint(2, 3) + 1):
                    lines += self.item_lines(group_label.format(cn[i - 1]), f"{g}.{i}", True)
                lines += ["四、工作要求", f"{group_label.format('一')}加强组织领导。各地要高度重视。"]
            else:
                lines += ["三、保障措施", f"{group_label.format('一')}加强组织领导。各地要高度重视。",
                          f"{group_label.format('二')}强化督查考核。定期通报进展。"]  # fmt: skip
        else:
            groups = r.sample(GROUPS, r.randint(2, 4))
            for g, group in enumerate(groups, 1):
                lines.append(f"{cn[g]}、{group}")
                for i in range(1, r.randint(2, 4) + 1):
                    lines += self.item_lines(item_label.format(i), f"{g}.{i}", True)
            lines += [f"{cn[len(groups) + 1]}、保障措施", "各地各部门要加强领导,强化保障。"]
        return [line for chunk in lines for line in chunk.split("\n")]

    # -- table notices ----------------------------------------------------------------------------

    def table_notice(self):
        """(rows, merges, ditto) for a task table; merges are 0-based (r0, c0, r1, c1)."""
        r = self.r
        task_col = r.choice(["重点任务", "主要任务", "工作任务"])
        measure_col = r.choice(["具体措施", "工作措施", "具体任务"])
        lead_col = r.choice(["牵头单位", "牵头部门"])
        resp_col = r.choice(["责任单位", "配合单位"])
        dl_col = r.choice(["完成时限", "完成时间"])
        header = ["序号", task_col, measure_col, lead_col, resp_col, dl_col]
        title = f"某市{self.year}年乡村振兴重点任务分工表"
        rows: list[list] = [[title] + [None] * 5, header]
        merges = [(0, 0, 0, 5)]
        ditto = r.random() < 0.3
        group_rows = r.random() < 0.25
        if group_rows:
            header[1] = "类别"
        n = 0
        for g, group in enumerate(r.sample(GROUPS, r.randint(2, 4)), 1):
            if group_rows:
                rows.append(["一二三四五六七八九"[g - 1] + "、" + group] + [None] * 5)
                merges.append((len(rows) - 1, 0, len(rows) - 1, 5))
            start = len(rows)
            k = r.randint(1, 4)
            for i in range(k):
                n += 1
                self.taken = set()
                t = self.title()
                text = t + r.choice(["。" + r.choice(BODIES), "", "," + "确保按期完成"])
                lead = self.units(1)
                others = self.units(r.randint(0, 3))
                others = [u for u in others if u not in lead]
                sep = r.choice(["、", "\n", "，", ";"])
                dtext, d, rec = self.deadline()
                key = None if group_rows else group if i == 0 or not ditto else None
                rows.append([n, key, text, lead[0], sep.join(others), dtext])
                resp, supp = (others, []) if resp_col == "责任单位" else ([], others)
                self.expected.append(
                    Expected(
                        f"{g}.{n}",
                        t,
                        [norm(u) for u in lead],
                        [norm(u) for u in resp],
                        [norm(u) for u in supp],
                        d,
                        rec,
                    )
                )
            if k > 1 and not ditto and not group_rows:
                merges.append((start, 1, start + k - 1, 1))
        # an issue date gives the year to 年底前 / 6月底前
        rows.insert(1, [f"（{self.year}年3月1日印发）"] + [None] * 5)
        merges = [
            (r0 + (1 if r0 >= 1 else 0), c0, r1 + (1 if r1 >= 1 else 0), c1) for r0, c0, r1, c1 in merges
        ]
        merges.append((1, 0, 1, 5))
        return rows, merges


def flat(plan):
    out = {}

    def walk(sections):
        for s in sections:
            for m in s.get("measures", []):
                out[m["code"]] = m
            walk(s.get("sections", []))

    walk(plan["sections"])
    return out


def score(expected: list[Expected], plan) -> tuple[int, list[str]]:
    got = flat(plan)
    right, misses = 0, []
    for e in expected:
        m = got.get(e.code)
        actual = m and (
            m["title"],
            m["lead"],
            m["responsible"],
            m["supporting"],
            m["deadline"],
            m["recurring"],
        )
        want = (e.title, e.lead, e.responsible, e.supporting, e.deadline, e.recurring)
        if actual == want:
            right += 1
        else:
            misses.append(f"{e.code}: want {want}\n      got {actual}")
    if len(got) != len(expected):
        misses.append(f"measures: want {len(expected)}, got {len(got)}: {sorted(got)}")
    return right, misses


def check(results):
    total = sum(len(e) for e, _ in results)
    right, misses = 0, []
    for expected, plan in results:
        r, m = score(expected, plan)
        right += r
        misses += m
    assert right / total >= 0.95, f"{right}/{total} measures fully right\n" + "\n".join(misses[:20])
    return right, total, misses


def test_text_notices_never_seen_convert_with_at_least_95_percent_of_measures_right():
    results = []
    for seed in range(40):
        n = Notice(seed)
        text = "\n".join(n.text_notice())
        results.append((n.expected, convert_text(text).plan))
    right, total, misses = check(results)
    assert not misses, "\n".join(misses[:10])


def test_word_notices_never_seen_convert_with_at_least_95_percent_of_measures_right(make_docx):
    results = []
    for seed in range(100, 112):
        n = Notice(seed)
        if seed % 2:
            path = make_docx([("p", line) for line in n.text_notice()])
        else:
            rows, merges = n.table_notice()
            path = make_docx([("p", "附件"), ("table", rows, merges)])
        results.append((n.expected, convert(path).plan))
    right, total, misses = check(results)
    assert not misses, "\n".join(misses[:10])


def test_excel_notices_never_seen_convert_with_at_least_95_percent_of_measures_right(make_xlsx):
    results = []
    for seed in range(200, 210):
        n = Notice(seed)
        rows, merges = n.table_notice()
        results.append((n.expected, convert(make_xlsx(rows, merges)).plan))
    right, total, misses = check(results)
    assert not misses, "\n".join(misses[:10])


@pytest.mark.parametrize("seed", range(300, 303))
def test_a_generated_notice_yields_no_problems(seed):
    n = Notice(seed)
    result = convert_text("\n".join(n.text_notice()))
    assert not result.problems
