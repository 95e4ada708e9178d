"""Forms of the notice pages; every one carries a CSRF token (flask-wtf)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.services.notices import MAX_DRAFT_BYTES, MAX_NOTICE_BYTES, NOTICE_SUFFIXES, SUFFIX_TEXT


class NoticeUploadForm(FlaskForm):
    file = FileField(
        "通知文件",
        validators=[
            FileRequired("请选择要上传的通知文件"),
            FileAllowed([s.lstrip(".") for s in NOTICE_SUFFIXES], f"只接受 {SUFFIX_TEXT} 格式"),
            FileSize(MAX_NOTICE_BYTES, message=f"文件过大(上限 {MAX_NOTICE_BYTES // 1024 // 1024} MB)"),
        ],
    )


class DraftForm(FlaskForm):
    text = TextAreaField(
        "草稿内容(YAML 格式,可直接修改)",
        validators=[
            DataRequired("草稿不能为空"),
            Length(max=MAX_DRAFT_BYTES, message=f"草稿过长(上限 {MAX_DRAFT_BYTES // 1024 // 1024} MB)"),
        ],
    )
    base = HiddenField()  # digest of the draft the page showed
    save = SubmitField("保存草稿")
    check = SubmitField("保存并检查")


class LoadForm(FlaskForm):
    checked = HiddenField()  # digest of the draft that was checked
    confirm = BooleanField("我已核对上述情况,仍要加载")


class ReviewForm(FlaskForm):
    """The review table: one row per measure; its cells are read by name (r<i>-code, r<i>-lead …)."""

    base = HiddenField()  # digest of the draft the table was made from


class DiscardForm(FlaskForm):
    pass
