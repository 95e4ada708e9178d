"""The API's objects as marshmallow schemas: they shape every answer and request body, and the
OpenAPI document is generated from them (tracker.web.api.spec)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

MAX_ID = 2**31 - 1
REPORT_STATES = ["on_time", "late", "missing", "not_due"]
LIGHTS = ["red", "amber", "green", "done", "not_started"]


def _enum(values: list[str], **kw) -> fields.String:
    return fields.String(metadata={"enum": values, **kw.pop("metadata", {})}, **kw)


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. not_found"})
    message = fields.String(required=True, metadata={"description": "为办事人员写的中文说明"})
    fields_ = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        data_key="fields",
        metadata={"description": "每个出错字段: field, message"},
    )


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


class PlanOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    issuer = fields.String(allow_none=True, required=True)
    doc_number = fields.String(allow_none=True, required=True)
    issued = fields.Date(allow_none=True, required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    cadence = fields.String(required=True)
    due_day = fields.Integer(required=True)


class IndicatorOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(allow_none=True, required=True)
    target = fields.Float(allow_none=True, required=True)


class MeasureOut(Schema):
    id = fields.Integer(required=True)
    plan = fields.String(required=True)
    code = fields.String(required=True)
    section = fields.String(required=True)
    title = fields.String(required=True)
    text = fields.String(required=True)
    deadline = fields.Date(allow_none=True, required=True)
    deadline_text = fields.String(allow_none=True, required=True)
    recurring = fields.String(allow_none=True, required=True)
    units = fields.Dict(required=True, metadata={"description": "the unit names as the notice prints them"})
    indicators = fields.List(fields.Nested(IndicatorOut), required=True)


class AssignmentOut(Schema):
    id = fields.Integer(required=True)
    plan = fields.String(required=True)
    measure = fields.String(required=True, metadata={"description": "the measure's code"})
    measure_title = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    unit = fields.String(required=True)
    role = _enum(["lead", "responsible", "supporting"], required=True)
    deadline = fields.Date(allow_none=True, required=True)
    light = _enum(LIGHTS, required=True)
    light_reasons = fields.List(fields.String(), required=True)
    period = fields.String(required=True, metadata={"description": "the period of `status` (YYYY-MM)"})
    due = fields.DateTime(required=True, metadata={"description": "when that period's report is due"})
    status = _enum(REPORT_STATES, required=True)
    status_reason = fields.String(required=True)
    percent = fields.Integer(allow_none=True, required=True)


class AssignmentDetailOut(AssignmentOut):
    measure_text = fields.String(required=True)
    indicators = fields.List(fields.Nested(IndicatorOut), required=True)


class IndicatorValueOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(allow_none=True, required=True)
    value = fields.Float(allow_none=True, required=True)
    note = fields.String(required=True)


class ReturnOut(Schema):
    by = fields.String(required=True)
    at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class RevisionOut(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    period = fields.String(required=True)
    author = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)
    source = fields.String(required=True, metadata={"description": "web | import | api | demo"})
    percent = fields.Integer(allow_none=True, required=True)
    complete = fields.Boolean(required=True)
    narrative = fields.String(required=True)
    problems = fields.String(required=True)
    next_steps = fields.String(required=True)
    public_summary = fields.String(required=True)
    indicators = fields.List(fields.Nested(IndicatorValueOut), required=True)
    returned = fields.Boolean(required=True)
    returns = fields.List(fields.Nested(ReturnOut), required=True)
    signed_by = fields.String(allow_none=True, required=True)
    signed_at = fields.DateTime(allow_none=True, required=True)


class SavedOut(Schema):
    revision = fields.Nested(RevisionOut, required=True)
    warnings = fields.List(fields.String(), required=True, metadata={"description": "提醒,不阻止保存"})


class ReportIn(Schema):
    """A new revision of the monthly report, checked by the same rules as the web form."""

    period = fields.String(
        required=True,
        metadata={
            # The measure's cadence decides which form is right; the save refuses any other, in Chinese.
            "pattern": r"^\d{4}(-\d{2}|-W\d{2}|Q[1-4]|H[12])?$",
            "example": "2024-05",
            "description": "报送期，按该措施的报送周期：2024-05（月）、2024Q2（季）、2024H1（半年）、2024（年）、2024-W23（周）",
        },
    )
    percent = fields.Integer(required=True, strict=True, metadata={"minimum": 0, "maximum": 100})
    complete = fields.Boolean(load_default=False, metadata={"description": "是否完成 (needs percent 100)"})
    narrative = fields.String(load_default="", metadata={"description": "工作进展"})
    problems = fields.String(load_default="", metadata={"description": "存在问题"})
    next_steps = fields.String(load_default="", metadata={"description": "下步计划"})
    public_summary = fields.String(load_default="", metadata={"description": "公开摘要"})
    indicators = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"type": ["number", "string"]}),
        load_default=dict,
        metadata={"description": 'indicator code → value (a number, or its text such as "12.5")'},
    )
    indicator_notes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    expected_revision = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "the latest revision number the client saw (0 for none); 409 if moved on"},
    )


class AnswerIn(Schema):
    note = fields.String(required=True, metadata={"description": "整改情况"})


class FindingOut(Schema):
    id = fields.Integer(required=True)
    plan = fields.String(allow_none=True, required=True)
    measure = fields.String(allow_none=True, required=True)
    unit_id = fields.Integer(required=True)
    unit = fields.String(required=True)
    title = fields.String(required=True)
    detail = fields.String(required=True)
    severity = _enum(["general", "serious", "critical"], required=True)
    state = _enum(["open", "answered", "closed"], required=True)
    rectify_by = fields.Date(required=True)
    overdue = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)


class BoardMeasure(Schema):
    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True)
    title = fields.String(required=True)
    lead = fields.List(fields.String(), required=True)
    light = _enum(LIGHTS, required=True)
    percent = fields.Integer(allow_none=True, required=True)
    report = _enum(REPORT_STATES, required=True)


class BoardUnit(Schema):
    class Meta:
        unknown = INCLUDE

    name = fields.String(required=True)
    short = fields.String(allow_none=True, required=True)
    assignments = fields.Integer(required=True)
    on_time = fields.Integer(required=True)
    late = fields.Integer(required=True)
    missing = fields.Integer(required=True)
    lights = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class BoardOut(Schema):
    """The live monthly board, in the shape of the published `board.json` (CLI.md)."""

    class Meta:
        unknown = INCLUDE

    plan = fields.String(required=True)
    period = fields.String(required=True)
    cutoff = fields.Date(required=True)
    as_of = fields.DateTime(required=True)
    measures = fields.List(fields.Nested(BoardMeasure), required=True)
    units = fields.List(fields.Nested(BoardUnit), required=True)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A list answer: `{"items": [...], "next": <cursor or null>}`."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                allow_none=True, required=True, metadata={"description": "pass as `cursor` for the next page"}
            ),
        },
    )


PlanPage = page_of(PlanOut, "PlanPage")
MeasurePage = page_of(MeasureOut, "MeasurePage")
AssignmentPage = page_of(AssignmentOut, "AssignmentPage")
RevisionPage = page_of(RevisionOut, "RevisionPage")
FindingPage = page_of(FindingOut, "FindingPage")
