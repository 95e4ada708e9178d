"""What people read in place of the codes we store: one mapping per kind of code, used by every page,
export and the public site, so that the same finding or event reads the same everywhere.

Nothing here touches the database except `actor_names`, which looks people's names up in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tracker.clock import TZ

# A light (红黄绿灯) and an assignment's role, on every page, export and the public site.
LIGHTS = {"red": "红灯", "amber": "黄灯", "green": "绿灯", "done": "已办结", "not_started": "未开始"}
ASSIGNMENT_ROLES = {"lead": "牵头", "responsible": "责任", "supporting": "配合"}

# A report's status. In the app "not_due" is a period whose due day has not come (未到期); a published
# board is built after the due day, so there it means the period asked for no report (无需报送).
REPORT_STATUS = {"on_time": "按时报送", "late": "迟报", "missing": "缺报", "not_due": "未到期"}
PUBLIC_REPORT_STATUS = {**REPORT_STATUS, "not_due": "无需报送"}

# A finding (督查发现问题) as the unit, the office, the leaders and the public see it.
FINDING_STATES = {"open": "待整改", "answered": "已反馈待核查", "closed": "已销号"}

# Outbox channels and delivery states (催办送达情况).
CHANNELS = {
    "in_app": "站内消息",
    "email": "邮件",
    "webhook": "群机器人",
    "wecom": "企业微信",
    "dingtalk": "钉钉",
    "sms": "短信",
    "event": "事件推送",
}
DELIVERY_STATES = {
    "sent": "已送达",
    "failed": "失败",
    "pending": "待发送",
    "sending": "发送中",
    "unknown": "结果不明",
}

# Who did it, when it was not a person: the demo loader, the scheduler, the command line.
SYSTEM_ACTORS = {"demo": "演示数据", "scheduler": "系统定时任务", "tracker": "命令行", "system": "系统"}

# Audit events (审计日志): action → what a clerk would call it.
AUDIT_ACTIONS = {
    "access.refused": "越权访问被拒",
    "assignment.create": "新增分工",
    "assignment.split": "分解任务",
    "assignment.unsplit": "撤销分解",
    "audit.keyed": "审计链启用密钥",
    "backup.download": "下载备份",
    "bulletin.save": "保存通报点评",
    "calendar.reset": "重置日历订阅地址",
    "completion.confirm": "办结确认",
    "completion.reopen": "撤销办结",
    "evidence.upload": "上传佐证材料",
    "extension.decide": "审核延期申请",
    "extension.request": "申请延期",
    "finding.answer": "反馈整改情况",
    "finding.close": "问题销号",
    "finding.open": "登记问题",
    "finding.reopen": "问题重新打开",
    "finding.send": "下发整改清单",
    "indicator.create": "新增指标",
    "indicator.update": "修改指标",
    "inspection.create": "登记督查",
    "login.throttle_clear": "解除登录限制",
    "measure.create": "新增措施",
    "measure.update": "修改措施",
    "milestone.create": "新增节点",
    "notice.discard": "删除通知草稿",
    "notice.review": "核对通知",
    "notice.upload": "上传通知",
    "plan.create": "加载方案",
    "plan.update": "更新方案",
    "plan.scoring": "修改计分办法",
    "plan_file.discard": "放弃方案文件",
    "plan_file.stage": "上传方案文件",
    "quality.rate": "质量评分",
    "rectification_list.create": "编制整改清单",
    "rectification_list.withdraw": "作废整改清单",
    "reminder.create": "催办",
    "reminder.read": "催办已读",
    "report.create": "新建报送",
    "report.return": "退回报送",
    "report.revise": "报送进展",
    "report.signoff": "签发报送",
    "section.create": "新增部分",
    "session.open": "登录",
    "session.revoke": "退出登录",
    "sheet.import": "导入调度表",
    "site.publish": "发布看板",
    "site.republish_changed": "重新发布看板",
    "site.republish_forced": "强制重新发布看板",
    "site.schedule": "定时发布",
    "subscription.create": "新增事件订阅",
    "subscription.disable": "停用事件订阅",
    "subscription.enable": "启用事件订阅",
    "token.create": "签发令牌",
    "token.revoke": "吊销令牌",
    "unit.create": "新增单位",
    "unit.update": "修改单位",
    "unit_member.create": "添加单位成员",
    "unit_member.delete": "移除单位成员",
    "user.contacts": "修改联系方式",
    "user.create": "新增用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.password_change": "修改密码",
    "user.password_reset": "重置密码",
    "user.role_change": "变更角色",
}
# The kind of object an audit event is about.
ENTITIES = {
    "api_token": "令牌",
    "assignment": "分工",
    "bulletin": "通报点评",
    "calendar_feed": "日历订阅",
    "completion": "办结确认",
    "event_subscription": "事件订阅",
    "evidence": "佐证材料",
    "extension_request": "延期申请",
    "finding": "问题",
    "indicator": "指标",
    "inspection": "督查",
    "measure": "措施",
    "milestone": "节点",
    "notice": "通知",
    "plan": "方案",
    "plan_file": "方案文件",
    "publication": "看板",
    "quality_rating": "质量评分",
    "rectification_list": "整改清单",
    "reminder": "催办",
    "report": "报送",
    "report_revision": "报送版本",
    "section": "部分",
    "sheet": "调度表",
    "unit": "单位",
    "unit_member": "单位成员",
    "user": "用户",
    "user_session": "登录会话",
}


def audit_action(action: str) -> str:
    """An audit action in Chinese; an action not in the table reads as its kind of object plus 变更."""
    if action in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[action]
    entity = action.split(".", 1)[0]
    return f"{ENTITIES[entity]}变更" if entity in ENTITIES else "其他操作"


def entity_name(entity: str) -> str:
    return ENTITIES.get(entity, "其他")


def delivery_text(channel: str, status: str) -> str:
    """One delivery as a clerk reads it: 站内消息：已送达."""
    return f"{CHANNELS.get(channel, '其他渠道')}：{DELIVERY_STATES.get(status, status)}"


def beijing_time(moment: datetime | None) -> str:
    """A moment in Beijing time, to the minute: 2024-11-20 14:05（北京时间）."""
    if moment is None:
        return ""
    return f"{moment.astimezone(TZ):%Y-%m-%d %H:%M}（北京时间）"


_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def beijing_times_in(text: str) -> str:
    """Every ISO moment with an offset inside `text` (say, JSON stored in the audit chain) rewritten in
    Beijing time; dates without a time are left as they are."""

    def local(match: re.Match) -> str:
        try:
            return beijing_time(datetime.fromisoformat(match.group(0).replace("Z", "+00:00")))
        except ValueError:
            return match.group(0)

    return _ISO_MOMENT.sub(local, text)


def plan_short(title: str, limit: int = 18) -> str:
    """A plan's name short enough for a column header: the title inside 《》 when the notice wraps it
    (关于印发《…》的通知), without a leading 关于, cut at `limit` characters with an ellipsis."""
    inner = re.search(r"《([^》]+)》", title)
    name = inner.group(1) if inner else title
    name = re.sub(r"^关于", "", name).strip()
    return name if len(name) <= limit else name[: limit - 1] + "…"


def actor_names(usernames: Iterable[str]) -> dict[str, str]:
    """username → the person's display name (with their unit's short name), for the people and
    system actors given."""
    from tracker.store.models import Unit, User

    wanted = {u for u in usernames if u}
    names = {u: SYSTEM_ACTORS[u] for u in wanted if u in SYSTEM_ACTORS}
    rest = [u for u in wanted if u not in names]
    if rest:
        from peewee import JOIN

        for u in (
            User.select(User.username, User.display_name, Unit.short, Unit.name)
            .join(Unit, JOIN.LEFT_OUTER)
            .where(User.username.in_(rest))
        ):
            unit = u.unit.label if u.unit_id else ""
            names[u.username] = (
                f"{u.display_name}（{unit}）" if unit and unit not in u.display_name else u.display_name
            )
    return names


def actor_name(username: str) -> str:
    """The name a page shows for who did something: see `actor_names`; an unknown name stays."""
    if not username:
        return ""
    base, _, rest = username.partition("(")  # "ak-xczx(令牌:…)": a person acting through an API token
    return actor_names([base]).get(base, base) + (f"({rest}" if rest else "")
