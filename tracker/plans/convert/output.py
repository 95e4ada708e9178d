"""Write a converted plan as YAML (readable order, Chinese as is, codes quoted) or JSON (same shape)."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

_ORDER = ("plan", "units", "sections")
_CODE_KEYS = {"code"}
_FLOW_LISTS = {"lead", "responsible", "supporting", "leaders", "aliases", "members", "tags"}


def _yamlable(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        m = CommentedMap()
        keys = (
            [k for k in _ORDER if k in value] + [k for k in value if k not in _ORDER]
            if key is None
            else list(value)
        )
        for k in keys:
            m[k] = _yamlable(value[k], k)
        return m
    if isinstance(value, list):
        seq = CommentedSeq(_yamlable(v, key) for v in value)
        if key in _FLOW_LISTS:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str):
        if key in _CODE_KEYS:
            return DoubleQuotedScalarString(value)
        if key in ("text", "source") and ("\n" in value or len(value) > 80) and _literal_safe(value):
            # block style keeps long Chinese text readable and never folds it
            return LiteralScalarString(value)
        return value
    return value


def _literal_safe(value: str) -> bool:
    lines = value.split("\n")
    return (
        value == value.strip()
        and all(line == line.rstrip() for line in lines)
        and all(ch.isprintable() or ch in "\n" for ch in value)
        and not value.startswith(("#", " "))
    )


def dump_yaml(plan: dict[str, Any]) -> str:
    """The plan as YAML: keys plan, units, sections first; Chinese kept; codes quoted; dates ISO."""
    yaml = YAML()
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.representer.ignore_aliases = lambda *_: True  # equal dates print twice, never as &id/*id
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_yamlable(plan), out)
    return out.getvalue()


def _default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_json(plan: dict[str, Any]) -> str:
    """The plan as JSON, same shape as the YAML: ensure_ascii=False, dates ISO, key order kept."""
    ordered = {k: plan[k] for k in _ORDER if k in plan} | {k: v for k, v in plan.items() if k not in _ORDER}
    return json.dumps(ordered, ensure_ascii=False, indent=2, default=_default) + "\n"
