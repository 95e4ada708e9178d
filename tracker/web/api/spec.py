"""The OpenAPI 3.1 document, generated from the operations as registered (`operation`) and their
marshmallow schemas by apispec: nothing here is kept by hand apart from the words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from tracker import __version__
from tracker.web.api import schemas

ERRORS = {
    400: "输入有误(字段、游标、筛选条件)",
    401: "没有令牌,或令牌无效、已过期、已吊销",
    403: "角色不能使用这项接口,或只读令牌提交了修改",
    404: "不存在,或不在令牌的单位范围内(两者不作区分)",
    409: "冲突:报告已有更新的版本,或任务已归档、问题已销号",
    429: "请求过于频繁;Retry-After 给出等待秒数",
}


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    roles: tuple[str, ...]
    query: dict[str, dict] = field(default_factory=dict)
    body: type[Schema] | None = None
    answer: type[Schema] | None = None
    status: int = 200
    errors: tuple[int, ...] = (401, 403, 404, 429)


OPERATIONS: list[Operation] = []


def operation(
    method: str, rule: str, summary: str, *, roles, answer, query=None, body=None, status=200, errors=()
):
    """Describe an API operation for the OpenAPI document; the view registers on `bp` as usual."""

    def mark(view):
        doc = (view.__doc__ or "").strip()
        base = (400, 401, 403, 404, 429) if (query or body) else (401, 403, 404, 429)
        OPERATIONS.append(
            Operation(
                method,
                rule,
                view.__name__,
                summary,
                doc,
                tuple(roles),
                dict(query or {}),
                body,
                answer,
                status,
                tuple(sorted({*base, *errors})),
            )
        )
        return view

    return mark


def _path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[dict]:
    params = []
    for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema = (
            {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
            if kind == "int"
            else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def build(prefix: str) -> dict:
    spec = APISpec(
        title="任务分工督查督办系统 API",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "与网页端相同的角色与单位范围:单位令牌只能读写本单位的数据。"
                "认证: `Authorization: Bearer <令牌>`。列表返回 `{items, next}`,把 next 作为 cursor 取下一页。"
                '错误统一为 `{"error": {"code", "message"}}`。时间均为北京时间。'
            )
        },
        servers=[{"url": prefix}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=schemas.Error)
    for status, text in ERRORS.items():
        headers = {"Retry-After": {"schema": {"type": "integer"}}} if status == 429 else None
        response = {"description": text, "content": {"application/json": {"schema": "Error"}}}
        if headers:
            response["headers"] = headers
        spec.components.response(f"E{status}", response)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        params = _path_params(op.rule)
        for name, schema in op.query.items():
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
        responses = {
            str(op.status): {
                "description": "成功",
                "content": {"application/json": {"schema": op.answer}},
            }
        }
        if op.method == "get":
            responses["304"] = {"description": "未改变(If-None-Match 与 ETag 相同)"}
        for status in op.errors:
            responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
        item = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "description": op.description + f"\n\n可用角色: {', '.join(op.roles)}",
            "parameters": params,
            "responses": responses,
            "security": [{"token": []}],
        }
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        paths.setdefault(_path(op.rule), {})[op.method] = item
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
