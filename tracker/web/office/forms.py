"""The office's forms. Choices that come from the database (plans, units, measures) are set by the view."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.services.supervision import COMMENTARY_LIMIT, SEVERITY_LABELS, TEXT_LIMIT, TITLE_LIMIT
from tracker.web.validators import sane_date

try:  # WTForms 3.3 deprecates (value, label) tuples for SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None


def choices(pairs) -> list:
    """(value, label) pairs as the installed WTForms wants them."""
    if SelectChoice is None:  # pragma: no cover
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class InspectionForm(FlaskForm):
    title = StringField("督查名称", validators=[DataRequired("请填写督查名称"), Length(max=TITLE_LIMIT)])
    held_on = DateField("督查日期", validators=[sane_date, InputRequired("请填写督查日期")])
    plan = SelectField("所属方案", coerce=_int_or_none, validators=[Optional()])
    notes = TextAreaField("督查记录（内部）", validators=[Length(max=TEXT_LIMIT)])


class FindingForm(FlaskForm):
    unit = SelectField(
        "责任单位",
        coerce=_int_or_none,
        validators=[InputRequired("请选择责任单位")],
        render_kw={"data-search": "查找责任单位"},
    )
    measure = SelectField("涉及措施", coerce=_int_or_none, validators=[Optional()])
    inspection = SelectField("来自哪次督查", coerce=_int_or_none, validators=[Optional()])
    title = StringField("问题摘要", validators=[DataRequired("请填写问题摘要"), Length(max=TITLE_LIMIT)])
    detail = TextAreaField("问题详情", validators=[Length(max=TEXT_LIMIT)])
    severity = RadioField(
        "问题等级", choices=choices(SEVERITY_LABELS.items()), default="general", validators=[InputRequired()]
    )
    rectify_by = DateField("整改时限", validators=[sane_date, InputRequired("请填写整改时限")])
    public = BooleanField("问题摘要可在公开网站展示")
    detail_public = BooleanField("问题详情也可公开")


class NoteForm(FlaskForm):
    """A short note with one action: closing or reopening a finding, confirming or reopening completion."""

    note = TextAreaField("意见", validators=[Length(max=TEXT_LIMIT)])


class DecideForm(FlaskForm):
    decision = RadioField(
        "审核结果",
        choices=choices([("approve", "批准延期"), ("refuse", "不予批准")]),
        validators=[InputRequired("请选择审核结果")],
    )
    new_deadline = DateField("批准延至（不填则按申请日期）", validators=[sane_date, Optional()])
    reason = TextAreaField("审核意见（不予批准时必填）", validators=[Length(max=TEXT_LIMIT)])


class RectificationForm(FlaskForm):
    title = StringField("清单标题（不填则自动生成）", validators=[Length(max=TITLE_LIMIT)])
    doc_number = StringField("文号（不填则自动编号）", validators=[Length(max=100)])
    body = TextAreaField("正文（不填则用通用正文）", validators=[Length(max=TEXT_LIMIT)])


class BulletinForm(FlaskForm):
    commentary = TextAreaField("通报点评(Markdown)", validators=[Length(max=COMMENTARY_LIMIT)])
    preview = SubmitField("预览")
    save = SubmitField("保存")


class PublishForm(FlaskForm):
    correct = BooleanField("更正已发布的内容（按现在的数据和点评重写，记入审计）")


class MissingChaseForm(FlaskForm):
    """一键催办: every missing report of one unit in one plan, this period."""

    plan = HiddenField(validators=[DataRequired()])
    unit = HiddenField(validators=[DataRequired()])
    message = TextAreaField("催办内容", validators=[Optional(), Length(max=500)])
    slip = SelectField(
        "督办单", choices=choices([(1, "蓝色"), (2, "黄色"), (3, "红色")]), coerce=int, default=1
    )


class ChaseForm(FlaskForm):
    message = TextAreaField("催办内容", validators=[DataRequired("请填写催办内容"), Length(max=500)])
    slip = RadioField(
        "督办单",
        choices=choices(
            [(1, "蓝色督办单（提醒）"), (2, "黄色督办单（催办）"), (3, "红色督办单（抄送单位负责人）")]
        ),
        coerce=int,
        default=1,
    )


class RatingsForm(FlaskForm):
    """Only the CSRF token: the points of each unit come as `points-<unit id>` and `note-<unit id>`."""


class ScoringForm(FlaskForm):
    """A plan's score weights and red penalty (计分办法)."""

    on_time = DecimalField("按时报送（分）", places=None, validators=[InputRequired("请填写按时报送的分值")])
    progress = DecimalField(
        "按计划推进（分）", places=None, validators=[InputRequired("请填写按计划推进的分值")]
    )
    findings = DecimalField(
        "问题按期整改（分）", places=None, validators=[InputRequired("请填写问题整改的分值")]
    )
    quality = DecimalField("质量评价（分）", places=None, validators=[InputRequired("请填写质量评价的分值")])
    red_penalty = DecimalField("每个红灯扣分", places=None, validators=[InputRequired("请填写红灯扣分")])
