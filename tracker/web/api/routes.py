"""The API's operations. Each parses, calls the same service as the web form with the token's
`Scope`, and answers JSON shaped by its schema; the OpenAPI document is built from these declarations."""

from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request, url_for
from marshmallow import ValidationError

from tracker.services import api as api_service
from tracker.services import reports as report_service
from tracker.services import supervision
from tracker.services.boards import UnknownPlan
from tracker.services.reports import FIELD_LABELS, InvalidReport, ReportError, ReportInput, StaleRevision
from tracker.web.access import PUBLIC, READERS, UNIT, allow
from tracker.web.api import bp, schemas
from tracker.web.api.guard import MAX_ID, _clean, error
from tracker.web.api.spec import build, operation

LIMIT = {"type": "integer", "minimum": 1, "maximum": api_service.MAX_PAGE, "default": api_service.PAGE}
CURSOR = {"type": "string", "description": "上一页的 next"}
PLAN = {"type": "string", "description": "方案编号,如 ankang-2023"}
UNIT_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "单位 id"}
PERIOD = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "报送期 YYYY-MM"}
EVERY_ROLE = (*UNIT, *READERS)


def _caller():
    return g.caller


def _int_arg(name: str, low: int, high: int, default: int | None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise api_service.ApiInputError(f"{name} 应为整数") from None
    if not low <= value <= high:
        raise api_service.ApiInputError(f"{name} 应在 {low} 到 {high} 之间")
    return value


def _paging() -> dict:
    return {
        "cursor": request.args.get("cursor") or None,
        "limit": _int_arg("limit", 1, api_service.MAX_PAGE, api_service.PAGE),
    }


def _page(schema, page: api_service.Page):
    return jsonify(schema().dump({"items": page.items, "next": page.next}))


def _strings_clean(value) -> bool:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return all(_strings_clean(k) and _strings_clean(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_strings_clean(v) for v in value)
    return True


class BodyError(ValueError):
    def __init__(self, message: str, fields: list[dict] | None = None):
        self.fields = fields or []
        super().__init__(message)


def _body(schema):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BodyError("请求体应为 JSON 对象(Content-Type: application/json)")
    if not _strings_clean(data):
        raise BodyError("请求体含有不能处理的字符")
    try:
        return schema().load(data)
    except ValidationError as exc:
        problems = []
        for name, messages in sorted(exc.normalized_messages().items()):
            label = FIELD_LABELS.get(name, name)
            text = str(messages)
            if "Unknown field" in text:
                message = f"不认识的字段 {name}"
            elif "Missing data" in text:
                message = f"缺少{label}({name})"
            else:
                message = f"{label}({name})格式不正确"
            problems.append({"field": name, "message": message})
        raise BodyError(";".join(p["message"] for p in problems), problems) from None


@bp.errorhandler(BodyError)
def _bad_body(exc):
    return error(400, str(exc), fields=exc.fields)


@bp.errorhandler(api_service.ApiInputError)
def _bad_input(exc):
    return error(400, str(exc))


@bp.errorhandler(UnknownPlan)
def _unknown_plan(exc):
    return error(404, "未找到该内容,或您无权查看。")


# ---------------------------------------------------------------- the document


@bp.get("/openapi.json")
@allow(PUBLIC)
def openapi():
    if "api_spec" not in current_app.extensions:
        current_app.extensions["api_spec"] = build(bp.url_prefix)
    return jsonify(current_app.extensions["api_spec"])


@bp.get("/docs")
@allow(PUBLIC)
def docs():
    if "api_spec" not in current_app.extensions:
        current_app.extensions["api_spec"] = build(bp.url_prefix)
    return render_template(
        "api/docs.html", spec=current_app.extensions["api_spec"], json_url=url_for(".openapi")
    )


# ---------------------------------------------------------------- plans


@bp.get("/plans")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/plans",
    "方案列表",
    roles=EVERY_ROLE,
    answer=schemas.PlanPage,
    query={"limit": LIMIT, "cursor": CURSOR},
)
def plans():
    """Every loaded plan, oldest first."""
    return _page(schemas.PlanPage, api_service.plans(**_paging()))


@bp.get("/plans/<code>/measures")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/plans/<code>/measures",
    "方案的措施",
    roles=EVERY_ROLE,
    answer=schemas.MeasurePage,
    query={"limit": LIMIT, "cursor": CURSOR},
)
def measures(code: str):
    """The plan's active measures with their indicators; a unit sees the public ones and its own."""
    return _page(schemas.MeasurePage, api_service.measures(_caller().scope, code, **_paging()))


@bp.get("/plans/<code>/boards/<period>")
@allow(*READERS)
@operation(
    "get",
    "/plans/<code>/boards/<period>",
    "实时月调度看板",
    roles=READERS,
    answer=schemas.BoardOut,
    errors=(400,),
)
def board(code: str, period: str):
    """The monthly board of `period` as recorded up to now (or its cut-off once past), in the shape
    of the published board.json. Unit tokens and a county office's are refused: the board shows
    every unit of the plan."""
    if not _caller().scope.sees_all:
        return error(403, "看板包含方案的全部单位,仅全市督查室和领导可读;请用 /assignments 读本范围的任务。")
    return jsonify(api_service.live_board(code, period))


# ---------------------------------------------------------------- assignments and reports


@bp.get("/assignments")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/assignments",
    "任务分工(本单位或全部)",
    roles=EVERY_ROLE,
    answer=schemas.AssignmentPage,
    query={"plan": PLAN, "unit": UNIT_ID, "period": PERIOD, "limit": LIMIT, "cursor": CURSOR},
)
def assignments():
    """The caller's active assignments with light, report status for `period` (default: the month
    the office is checking) and that report's due time."""
    page = api_service.assignments(
        _caller().scope,
        plan=request.args.get("plan") or None,
        unit=_int_arg("unit", 1, MAX_ID, None),
        period=request.args.get("period") or None,
        **_paging(),
    )
    return _page(schemas.AssignmentPage, page)


@bp.get("/assignments/<int:assignment_id>")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/assignments/<int:assignment_id>",
    "一项任务分工",
    roles=EVERY_ROLE,
    answer=schemas.AssignmentDetailOut,
    query={"period": PERIOD},
)
def assignment(assignment_id: int):
    """One assignment in the caller's scope, with the measure's text and indicators."""
    item = api_service.assignment(_caller().scope, assignment_id, request.args.get("period") or None)
    return jsonify(schemas.AssignmentDetailOut().dump(item))


@bp.get("/assignments/<int:assignment_id>/reports")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/assignments/<int:assignment_id>/reports",
    "报送记录",
    roles=EVERY_ROLE,
    answer=schemas.RevisionPage,
    query={"period": PERIOD, "limit": LIMIT, "cursor": CURSOR},
)
def reports(assignment_id: int):
    """Every revision of the assignment's monthly reports (one period's with `period`), newest first."""
    page = api_service.reports(
        _caller().scope, assignment_id, request.args.get("period") or None, **_paging()
    )
    return _page(schemas.RevisionPage, page)


def _indicator_values(raw: dict) -> dict:
    values, problems = {}, []
    for code, value in raw.items():
        try:
            parsed = None if isinstance(value, (dict, list)) else report_service.parse_decimal(value)
            if isinstance(value, (dict, list)):
                raise ValueError("不是数字")
        except ValueError as exc:
            problems.append({"field": f"indicator:{code}", "message": f"指标 {code}: {exc}"})
            continue
        if parsed is not None:
            values[code] = parsed
    if problems:
        raise BodyError(";".join(p["message"] for p in problems), problems)
    return values


@bp.post("/assignments/<int:assignment_id>/reports")
@allow(*UNIT)
@operation(
    "post",
    "/assignments/<int:assignment_id>/reports",
    "报送月度进展(新版本)",
    roles=UNIT,
    answer=schemas.SavedOut,
    body=schemas.ReportIn,
    status=201,
    errors=(409,),
)
def report_save(assignment_id: int):
    """A new revision of the assignment's report for `period`, under the web form's rules and
    messages; it is audited with the token's name. Give `expected_revision` to be told (409) when
    someone else saved first instead of adding after them."""
    data = _body(schemas.ReportIn)
    report = ReportInput(
        percent=data["percent"],
        complete=data["complete"],
        narrative=data["narrative"].strip(),
        problems=data["problems"].strip(),
        next_steps=data["next_steps"].strip(),
        public_summary=data["public_summary"].strip(),
        indicator_values=_indicator_values(data["indicators"]),
        indicator_notes={k: v.strip() for k, v in data["indicator_notes"].items() if v.strip()},
    )
    scope = _caller().scope
    try:
        saved = report_service.save_revision(
            scope, assignment_id, data["period"], report, (), data["expected_revision"], source="api"
        )
    except InvalidReport as exc:
        fields = [{"field": p.field, "message": p.message} for p in exc.problems]
        return error(400, str(exc), fields=fields)
    except StaleRevision as exc:
        return error(409, str(exc), code="stale")
    except ReportError as exc:
        return error(409, str(exc))
    view = report_service.revision_view(scope, saved.revision.id)
    body = {"revision": api_service.revision_item(view), "warnings": [w.message for w in saved.warnings]}
    return jsonify(schemas.SavedOut().dump(body)), 201


# ---------------------------------------------------------------- findings


@bp.get("/findings")
@allow(*EVERY_ROLE)
@operation(
    "get",
    "/findings",
    "问题台账",
    roles=EVERY_ROLE,
    answer=schemas.FindingPage,
    query={
        "state": {"type": "string", "enum": list(api_service.FINDING_STATES)},
        "plan": PLAN,
        "unit": UNIT_ID,
        "limit": LIMIT,
        "cursor": CURSOR,
    },
)
def findings():
    """The findings the caller may read (a unit: its own), the most urgent deadline first."""
    page = api_service.findings(
        _caller().scope,
        state=request.args.get("state") or None,
        plan=request.args.get("plan") or None,
        unit=_int_arg("unit", 1, MAX_ID, None),
        **_paging(),
    )
    return _page(schemas.FindingPage, page)


@bp.get("/findings/<int:finding_id>")
@allow(*EVERY_ROLE)
@operation("get", "/findings/<int:finding_id>", "一个问题", roles=EVERY_ROLE, answer=schemas.FindingOut)
def finding(finding_id: int):
    """One finding in the caller's scope."""
    return jsonify(schemas.FindingOut().dump(api_service.finding(_caller().scope, finding_id)))


@bp.post("/findings/<int:finding_id>/answer")
@allow(*UNIT)
@operation(
    "post",
    "/findings/<int:finding_id>/answer",
    "报送整改情况",
    roles=UNIT,
    answer=schemas.FindingOut,
    body=schemas.AnswerIn,
    errors=(409,),
)
def finding_answer(finding_id: int):
    """The unit reports how it fixed its own finding (整改情况); the finding then waits for the office."""
    data = _body(schemas.AnswerIn)
    scope = _caller().scope
    finding = scope.finding(finding_id, write=True)
    if finding.state == "closed":
        return error(409, "该问题已销号,如需补充请联系督查室")
    try:
        supervision.answer_finding(scope, finding_id, data["note"])
    except supervision.SupervisionError as exc:
        return error(400, str(exc))
    return jsonify(schemas.FindingOut().dump(api_service.finding(scope, finding_id)))
