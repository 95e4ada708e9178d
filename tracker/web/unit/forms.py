"""The unit's forms. Indicator fields are added per measure by `report_form`."""

from __future__ import annotations

import functools

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.services.reports import REASON_LIMIT, SUMMARY_LIMIT, TEXT_LIMIT
from tracker.web.validators import sane_date


class WithinLimit:
    """Refuse a text over `limit` characters and say by how much: nothing is ever cut silently."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        count = len(field.data or "")
        if count > self.limit:
            raise ValidationError(
                f"{field.label.text}最多 {self.limit} 字，现有 {count} 字，请删减 {count - self.limit} 字后再提交。"
            )


class ReportForm(FlaskForm):
    percent = IntegerField(
        "完成进度(%)",
        validators=[
            InputRequired("请填写完成进度"),
            NumberRange(0, 100, "完成进度应为 0–100 的整数"),
        ],
    )
    complete = BooleanField("本项任务已全部完成")
    narrative = TextAreaField("工作进展", validators=[WithinLimit(TEXT_LIMIT)])
    problems = TextAreaField("存在问题", validators=[WithinLimit(TEXT_LIMIT)])
    next_steps = TextAreaField("下步计划", validators=[WithinLimit(TEXT_LIMIT)])
    public_summary = TextAreaField(
        "公开摘要(将在公开网站展示,请勿填写个人信息)", validators=[WithinLimit(SUMMARY_LIMIT)]
    )
    files = MultipleFileField("佐证材料")
    expected = HiddenField()
    preview = SubmitField("预览")
    save = SubmitField("提交")

    def indicator_fields(self, indicators):
        """(indicator, value field, note field) for each of the measure's indicators."""
        return [(i, self[f"ind_{i.id}"], self[f"note_{i.id}"]) for i in indicators]


def report_form(indicators, **kwargs) -> ReportForm:
    """A ReportForm with a value and a note field for each indicator of the measure."""
    return _report_form_class(tuple((i.id, i.name) for i in indicators))(**kwargs)


@functools.lru_cache(maxsize=1024)
def _report_form_class(indicators: tuple[tuple[int, str], ...]) -> type[ReportForm]:
    # Made once per set of indicators: a class made per request cost a report POST more than its SQL.
    class MeasureReportForm(ReportForm):
        pass

    for indicator_id, name in indicators:
        setattr(
            MeasureReportForm,
            f"ind_{indicator_id}",
            StringField(name, validators=[Optional(), Length(max=40)]),
        )
        setattr(
            MeasureReportForm,
            f"note_{indicator_id}",
            StringField("说明", validators=[Length(max=SUMMARY_LIMIT)]),
        )
    return MeasureReportForm


class ReturnForm(FlaskForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因"), Length(max=REASON_LIMIT)])
    submit = SubmitField("退回修改")


class SignoffForm(FlaskForm):
    submit = SubmitField("签发")


class ReadForm(FlaskForm):
    submit = SubmitField("标为已读")


class ExtensionForm(FlaskForm):
    new_date = DateField("申请延期至", validators=[sane_date, InputRequired("请选择日期")])
    reason = TextAreaField("申请理由", validators=[DataRequired("请填写申请理由"), Length(max=REASON_LIMIT)])
    submit = SubmitField("提交申请")


class SheetUploadForm(FlaskForm):
    sheet = FileField("填好的调度表(.xlsx)")
    submit = SubmitField("导入")


class BreakdownForm(FlaskForm):
    """The split of an assignment: for each unit under it, whether it gets a part, its deadline and its
    share of each indicator. Fields are added per unit and indicator by `breakdown_form`."""

    submit = SubmitField("保存分解")

    def unit_fields(self, units, indicators):
        """(unit, pick field, deadline field, [(indicator, share field)]) for each candidate unit."""
        return [
            (
                u,
                self[f"pick_{u.id}"],
                self[f"due_{u.id}"],
                [(i, self[f"share_{u.id}_{i.id}"]) for i in indicators],
            )
            for u in units
        ]


def breakdown_form(units, indicators, **kwargs) -> BreakdownForm:
    class AssignmentBreakdownForm(BreakdownForm):
        pass

    for u in units:
        setattr(AssignmentBreakdownForm, f"pick_{u.id}", BooleanField(f"分解给{u.label}"))
        setattr(
            AssignmentBreakdownForm, f"due_{u.id}", DateField("完成时限", validators=[Optional(), sane_date])
        )
        for i in indicators:
            setattr(
                AssignmentBreakdownForm,
                f"share_{u.id}_{i.id}",
                StringField(i.name, validators=[Optional(), Length(max=40)]),
            )
    return AssignmentBreakdownForm(**kwargs)
