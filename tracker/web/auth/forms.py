from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


class PasswordForm(FlaskForm):
    old = PasswordField("原密码", validators=[DataRequired("请输入原密码"), Length(max=200)])
    new = PasswordField(
        "新密码",
        validators=[DataRequired("请输入新密码"), Length(min=10, max=200, message="新密码至少 10 个字符")],
    )
    again = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("new", "两次输入的新密码不一致")],
    )
