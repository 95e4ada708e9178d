"""Admin forms. Uniqueness and role/unit checks live here too, so a clerk sees them by the field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

try:  # WTForms 3.3 deprecates (value, label) tuples and dicts of optgroups for SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None

from tracker.services.admin import MAX_PLAN_BYTES
from tracker.services.users import ROLE_LABELS, SCOPABLE_ROLES, UNIT_ROLES
from tracker.store.models import Unit, User

KIND_LABELS = {
    "department": "部门",
    "county": "县(市、区)",
    "town": "乡镇(街道)",
    "village": "村(社区)",
    "enterprise": "企业",
    "group": "单位组",
    "other": "其他",
}
NO_UNIT = 0


def choices(options: list[tuple], optgroup: str | None = None) -> list:
    """(value, label) pairs as the installed WTForms wants them."""
    if SelectChoice is None:  # pragma: no cover
        return list(options)
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in options]


def unit_choices(
    units: list[Unit] | None = None, blank: str | None = "不属于单位(督查室、领导、管理员)"
) -> list | dict:
    """Units for a select, grouped by kind, each shown by its full name (short names repeat across plans)."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    for u in units if units is not None else Unit.select().order_by(Unit.name):
        grouped.setdefault(KIND_LABELS.get(u.kind, u.kind), []).append((u.id, u.name))
    ordered = {label: grouped[label] for label in KIND_LABELS.values() if label in grouped}
    ordered.update({k: v for k, v in grouped.items() if k not in ordered})
    if blank is not None:
        ordered = {"不属于单位": [(NO_UNIT, blank)], **ordered}
    if SelectChoice is None:  # pragma: no cover
        return ordered
    return [c for label, options in ordered.items() for c in choices(options, label)]


class RoleUnitForm(FlaskForm):
    role = SelectField(
        "角色", choices=choices(list(ROLE_LABELS.items())), validators=[DataRequired("请选择角色")]
    )
    unit = SelectField(
        "所在单位", coerce=int, validate_choice=True, render_kw={"data-search": "查找所在单位"}
    )

    def validate_unit(self, field):
        if self.role.data in UNIT_ROLES and field.data == NO_UNIT:
            raise ValidationError(f"{ROLE_LABELS[self.role.data]}必须选择所在单位。")
        # An inspector or leader with a unit is that level's office (a county's 督查室).
        if (
            self.role.data not in UNIT_ROLES
            and self.role.data not in SCOPABLE_ROLES
            and field.data != NO_UNIT
        ):
            raise ValidationError(
                f"{ROLE_LABELS.get(self.role.data, '该角色')}不属于某个单位,请选“不属于单位”。"
            )


class UserCreateForm(RoleUnitForm):
    username = StringField(
        "用户名(登录用)",
        validators=[
            DataRequired("请填写用户名"),
            Length(max=64, message="用户名不超过 64 个字符"),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message="用户名只能用英文字母、数字及 _ . -"),
        ],
    )
    display_name = StringField("姓名(显示用)", validators=[Optional(), Length(max=100)])
    email = StringField(
        "电子邮箱(接收催办提醒,可不填)",
        validators=[Optional(), Length(max=200), Regexp(r"^[^@\s]+@[^@\s]+$", message="邮箱格式不对")],
    )

    def validate_username(self, field):
        if User.select().where(User.username == field.data.strip()).exists():
            raise ValidationError("该用户名已被使用,请换一个。")


class UnitForm(FlaskForm):
    short = StringField("简称", validators=[Optional(), Length(max=100, message="简称不超过 100 个字符")])
    aliases = TextAreaField(
        "别名(每行一个,也可用顿号分隔)", validators=[Optional(), Length(max=4000, message="内容过长")]
    )


class MemberForm(FlaskForm):
    member = SelectField("添加成员单位", coerce=int, validate_choice=True)


class PlanUploadForm(FlaskForm):
    file = FileField(
        "方案文件(.yaml)",
        validators=[
            FileRequired("请选择要上传的方案文件"),
            FileAllowed(["yaml", "yml", "json"], "只接受 .yaml、.yml 或 .json 格式的方案文件"),
            FileSize(MAX_PLAN_BYTES, message=f"文件过大(上限 {MAX_PLAN_BYTES // 1024 // 1024} MB)"),
        ],
    )
