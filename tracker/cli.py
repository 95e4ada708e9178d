"""The `tracker` command: thin click commands, each a few lines over a service."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tracker import __version__
from tracker.settings import SETTINGS

ENV_HELP = "\b\nEnvironment:\n" + "\n".join(f"  {s.name}: {s.help} (default: {s.default})" for s in SETTINGS)


def _open_database(create: bool = True):
    """Connect to the configured database, creating or upgrading the schema when asked."""
    from tracker.store.db import init_database
    from tracker.store.migrations import upgrade

    init_database()
    if create:
        upgrade()


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.group(epilog=ENV_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracker")
def cli():
    """tracker: 任务分工督查 — plans, monthly reports, supervision and published boards."""
    from tracker.clock import ClockError, now

    try:
        now()  # a malformed TRACKER_NOW is refused before any command runs
    except ClockError as exc:
        _fail(str(exc))


@cli.command()
def init():
    """Create or upgrade the database schema; safe to run again."""
    from tracker.store.db import database_url, init_database
    from tracker.store.migrations import upgrade

    init_database()
    for line in upgrade():
        click.echo(line)
    click.echo(f"database: {database_url()}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option(
    "--allow-unknown", is_flag=True, help="Warn about keys the plan format does not know instead of refusing."
)
@click.option(
    "--adopt",
    metavar="YYYY-MM-DD",
    help="Adoption day for plans whose start is already past: nothing before it is chased, scored, "
    "ranked or published (the file's plan.reporting.start does the same).",
)
def load(files, dry_run, allow_unknown, adopt):
    """Load plan files (measures/*.yaml) into the database, idempotently.

    Every unit name must resolve (through the file's units: name, short, aliases, or units already
    stored); otherwise every unresolved name is listed and nothing is loaded. A plan whose start is
    already past and that names no adoption day (plan.reporting.start) is asked for one at a
    terminal; elsewhere `--adopt` gives it.
    """
    from datetime import date

    from tracker.clock import now as clock_now
    from tracker.plans.load import LoadError, adoption_problem, load_plans, read_files, wants_adoption
    from tracker.rules.periods import local_date

    _open_database()
    try:
        plans = read_files(list(files), allow_unknown)
    except LoadError as exc:
        _fail(f"加载失败,数据库未作任何改动:\n{exc}")
    if adopt is not None:
        try:
            adopt = date.fromisoformat(adopt)
        except ValueError:
            _fail(f"--adopt {adopt!r} 不是日期(应为 YYYY-MM-DD)")
    today = local_date(clock_now())
    adopted = {}
    for plan in wants_adoption(plans, today):
        day = adopt
        if day is None and sys.stdin.isatty():
            answer = click.prompt(
                f"方案 {plan.code} 自 {plan.start} 开始,早于今天。从哪天起催报、评分、发布?(回车为今天)",
                default=today.isoformat(),
                show_default=False,
            )
            try:
                day = date.fromisoformat(answer.strip())
            except ValueError:
                _fail(f"{answer!r} 不是日期(应为 YYYY-MM-DD),未加载任何内容")
        if day is None:
            click.echo(
                f"提示:方案 {plan.code} 自 {plan.start} 开始,未设采用日(plan.reporting.start),"
                f"将从开始日起催报和评分;中途接入请用 --adopt {today}",
                err=True,
            )
            continue
        if problem := adoption_problem(plan, day):
            _fail(problem)
        adopted[plan.code] = day
    try:
        summaries = load_plans(list(files), dry_run=dry_run, allow_unknown=allow_unknown, adopted=adopted)
    except LoadError as exc:
        _fail(f"加载失败,数据库未作任何改动:\n{exc}")
    for s in summaries:
        for w in s.warnings:
            click.echo(f"warning: {w}", err=True)
        prefix = "(dry run) " if dry_run else ""
        click.echo(f"{prefix}{s.plan} ({s.origin}): " + "; ".join(s.lines()))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Write JSON instead of YAML (same shape).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write to OUT instead of standard output.")
def convert(file, as_json, out):
    """Turn a notice into a plan file for review: .txt/.md, .docx/.xlsx, .doc/.wps/.xls/.et (LibreOffice),
    .pdf (text layer, or OCR for a scan) and .png/.jpg scans (Tesseract).

    The plan is written whenever measures could be read (exit 0); every part it could not read, every
    measure without a lead and every deadline it could not read is listed on stderr (line, table, row or
    cell, and why) with a one-line summary. Exit 1 when nothing could be read. It never invents a unit
    or a deadline. Check the result, then `tracker load --dry-run` it.
    """
    from pathlib import Path

    from tracker.plans.convert import ConversionError, convert_bytes, dump_json, dump_yaml

    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"无法转换 {file}:无法读取文件({exc.strerror or exc})")
    try:
        result = convert_bytes(data, path.name, known_units=_stored_unit_names())
    except ConversionError as exc:
        _fail("\n".join(f"无法转换 {file}:{_place(p, path.name)}{p.reason}" for p in exc.problems))
    if not result.measures:
        lines = [f"无法转换 {file}:{_place(p, path.name)}{p.reason}" for p in result.problems]
        _fail("\n".join(lines) or f"无法转换 {file}:没有找到任何措施")
    for p in result.review():
        click.echo(f"请核对 {p.location or file}:{p.reason}", err=True)
    click.echo(result.summary(), err=True)
    plan = result.plan
    text = dump_json(plan) if as_json else dump_yaml(plan)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _place(problem, name: str) -> str:
    return f"{problem.location}:" if problem.location and problem.location != name else ""


def _stored_unit_names():
    """Unit names already stored, to correct OCR misreadings (read only when a scan needs them); none
    when no database is set up: converting never creates one."""
    from urllib.parse import unquote, urlsplit

    from tracker.store.db import database_url, init_database

    url = database_url()
    parts = urlsplit(url)
    if parts.scheme == "sqlite" and not Path(unquote(parts.path)[1:]).is_file():
        return
    try:
        from tracker.store.models import Unit

        init_database(url)
        names = [n for u in Unit.select() for n in u.names()]
    except Exception:  # no schema yet, or the server is down: correct against the notice alone
        return
    yield from names


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
def plans(as_json):
    """List loaded plans with counts of sections, measures, units and assignments."""
    from tracker.services.plans import plan_summaries

    _open_database()
    rows = plan_summaries()
    if as_json:
        keys = ("code", "title", "sections", "measures", "archived", "units", "assignments", "sections_total")
        click.echo(
            json.dumps([{k: r.as_json()[k] for k in keys} for r in rows], ensure_ascii=False, indent=2)
        )
        return
    if not rows:
        click.echo("尚未加载任何方案。用 `tracker load measures/*.yaml` 加载。")
    for r in rows:
        click.echo(
            f"{r.code}  {r.title}\n    部分 {r.sections}(含子部分 {r.sections_total})  措施 {r.measures}"
            f"(已归档 {r.archived})  单位 {r.units}  分工 {r.assignments}"
        )


@cli.group()
def users():
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["reporter", "unit_leader", "inspector", "leader", "admin"])
)
@click.option(
    "--unit",
    "unit_name",
    help="The user's unit (full name, short name or alias); for reporter and unit_leader.",
)
@click.option("--display-name", help="The name shown in the app (default: NAME).")
@click.option("--email", help="Where reminders for this user go.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one."
)
def users_add(name, role, unit_name, display_name, email, password_stdin):
    """Add a user and print a one-time password (or take one from stdin)."""
    from tracker.services.users import UserError, add_user

    _open_database()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user, pw = add_user(name, role, unit_name, password, display_name, email)
    except UserError as exc:
        _fail(str(exc))
    unit = f" ({user.unit.name})" if user.unit_id else ""
    click.echo(f"added {user.username}: {role}{unit}")
    if not password_stdin:
        click.echo(f"one-time password: {pw}  (must be changed at first sign-in)")


@users.command("contact")
@click.argument("name")
@click.option("--wecom", help="The person's WeCom userid (企业微信账号), for work notices.")
@click.option("--dingtalk", help="The person's DingTalk userid, for work notices.")
@click.option("--mobile", help="The person's mobile number, for the SMS gateway.")
def users_contact(name, wecom, dingtalk, mobile):
    """Set where NAME's reminders go besides the app and email; an empty value clears one."""
    from tracker.services import admin

    _open_database()
    try:
        user = admin.set_contacts(
            "cli", admin.user_by_name(name).id, wecom=wecom, dingtalk=dingtalk, mobile=mobile
        )
    except (admin.AdminError, admin.AdminNotFound) as exc:
        _fail(str(exc))
    click.echo(
        f"{user.username}: wecom {user.wecom_id or '-'}, dingtalk {user.dingtalk_id or '-'}, mobile {user.mobile or '-'}"
    )


@users.command("unlock")
@click.argument("name")
def users_unlock(name):
    """Lift the sign-in wait on NAME after too many wrong passwords (audited as cli)."""
    from tracker.services import admin
    from tracker.services.auth import clear_throttle

    _open_database()
    try:
        user = admin.user_by_name(name)
    except admin.AdminNotFound as exc:
        _fail(str(exc))
    clear_throttle(user.username, "cli")
    click.echo(f"{user.username}: 登录等待已解除")


@users.command("reset-password")
@click.argument("name")
def users_reset_password(name):
    """Give NAME a new one-time password and end every session of theirs."""
    from tracker.services import admin

    _open_database()
    try:
        user, pw = admin.reset_password("cli", admin.user_by_name(name).id)
    except (admin.AdminError, admin.AdminNotFound) as exc:
        _fail(str(exc))
    click.echo(f"one-time password for {user.username}: {pw}  (must be changed at first sign-in)")


@users.command("disable")
@click.argument("name")
def users_disable(name):
    """Disable NAME's account; every session of theirs ends at once."""
    _set_active(name, False)


@users.command("enable")
@click.argument("name")
def users_enable(name):
    """Enable NAME's account again."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    from tracker.services import admin

    _open_database()
    try:
        user = admin.set_active("cli", admin.user_by_name(name).id, active)
    except (admin.AdminError, admin.AdminNotFound) as exc:
        _fail(str(exc))
    click.echo(f"{user.username}: {'enabled' if user.active else 'disabled'}")


@cli.group()
def tokens():
    """API tokens: printed once, stored only as a hash, with the user's role and unit scope."""


@tokens.command("add")
@click.argument("user")
@click.option("--name", help="What the token is for, e.g. 政务平台对接 (default: the date).")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires (1–366).")
@click.option("--read-only", is_flag=True, help="The token may read but never change anything.")
def tokens_add(user, name, days, read_only):
    """Make a token for USER and print it once."""
    from tracker.services import admin
    from tracker.services import tokens as token_service

    _open_database()
    try:
        made = token_service.add("cli", admin.user_by_name(user), name, days, read_only)
    except (admin.AdminNotFound, token_service.TokenError) as exc:
        _fail(str(exc))
    t = made.token
    click.echo(f"token {t.id} for {user} ({t.name}), expires {t.expires_at:%Y-%m-%d %H:%M}:")
    click.echo(made.secret)
    click.echo("(shown once: only its hash is stored)", err=True)


@tokens.command("list")
def tokens_list():
    """Every token: id, user, name, state, expiry and last use (never the secret)."""
    from tracker.services import tokens as token_service

    _open_database()
    rows = token_service.every()
    if not rows:
        click.echo("no tokens")
    for t in rows:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
        ro = " read-only" if t.read_only else ""
        click.echo(
            f"{t.id}\t{t.user.username}\t{t.prefix}…\t{t.name}\t{token_service.state(t)}{ro}"
            f"\texpires {expires}\tlast used {used}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id):
    """Revoke token ID at once."""
    from tracker.services import tokens as token_service

    _open_database()
    try:
        t = token_service.revoke_by_id("cli", token_id)
    except token_service.TokenError as exc:
        _fail(str(exc))
    click.echo(f"token {t.id} ({t.name}) of {t.user.username}: revoked")


@cli.group()
def events():
    """Outgoing events: subscriptions that get a signed JSON POST of each event."""


@events.command("subscribe")
@click.argument("url")
@click.option("--name", required=True, help="Who receives, e.g. 市督查督办系统.")
@click.option(
    "--kind", "kinds", multiple=True, help="An event type (repeatable; default: all), e.g. report.filed."
)
@click.option("--as", "owner", help="Hear only what this user may read (e.g. a county's inspector).")
def events_subscribe(url, name, kinds, owner):
    """Subscribe URL to events and print the secret its receiver checks signatures with."""
    from tracker.services import admin
    from tracker.services import events as event_service

    _open_database()
    try:
        user = admin.user_by_name(owner) if owner else None
        sub = event_service.subscribe("cli", name, url, list(kinds), user)
    except (admin.AdminNotFound, event_service.SubscriptionError) as exc:
        _fail(str(exc))
    click.echo(f"subscription {sub.id} ({sub.name}) → {sub.url}")
    click.echo(f"secret: {sub.secret}")
    click.echo(
        "each POST carries X-Tracker-Signature: sha256=<HMAC-SHA256 of the body with this secret>", err=True
    )


@events.command("list")
def events_list():
    """Every subscription and its last deliveries."""
    from tracker.services import events as event_service

    _open_database()
    subs = event_service.subscriptions()
    if not subs:
        click.echo("no subscriptions")
    for s in subs:
        kinds = ",".join(s.kinds) or "all"
        scope = s.owner.username if s.owner_id else "office"
        state = "active" if s.active else "disabled"
        click.echo(f"{s.id}\t{s.name}\t{s.url}\t{kinds}\tscope {scope}\t{state}")
    for d in event_service.delivery_log(20):
        event = d.payload["event"]
        click.echo(
            f"  {d.id}\t{event['type']}\t{d.recipient}\t{d.status}\t第{d.attempts}次\t{d.last_error or ''}"
        )


@events.command("disable")
@click.argument("subscription_id", type=int)
def events_disable(subscription_id):
    """Stop sending to a subscription (queued events to it are dropped when their turn comes)."""
    from tracker.services import events as event_service

    _open_database()
    try:
        sub = event_service.set_active("cli", subscription_id, False)
    except event_service.SubscriptionError as exc:
        _fail(str(exc))
    click.echo(f"subscription {sub.id} ({sub.name}): disabled")


@cli.group()
def audit():
    """The audit trail (留痕)."""


@audit.command("verify")
@click.option(
    "--head",
    "heads",
    multiple=True,
    metavar="SEQ:HASH",
    help="A head noted earlier (verify, a backup or a publication printed it): the chain must still hold it.",
)
@click.option(
    "--uploads",
    type=click.Path(file_okay=False),
    default=None,
    help="The evidence folder whose files are checked against their SHA-256 (default: instance/uploads).",
)
def audit_verify(heads, uploads):
    """Walk the audit chain (HMAC under the audit key), check the anchors file, any --head given and
    every evidence file; exit 1 naming the first event changed, removed or inserted, or the file."""
    from tracker.services.admin import check_audit_chain
    from tracker.services.evidence import verify_files
    from tracker.store import audit as audit_store
    from tracker.store.migrations import KEYED_VERSION, applied_versions, current_version

    try:
        wanted = [audit_store.parse_head(h) for h in heads]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from None
    _open_database(create=False)
    version = current_version()
    if version is None:
        _fail("数据库尚未建表:先运行 tracker init。")
    if KEYED_VERSION not in applied_versions():
        _fail(f"数据库是旧版结构(版本 {version}):先运行 tracker init 升级,审计链随之加上密钥签名。")
    result = check_audit_chain(wanted)
    if not result.ok:
        _fail(f"审计链校验失败:{result.message}(此前 {result.checked} 条事件完好)")
    click.echo(result.message)
    folder = uploads or str(audit_store.instance_dir() / "uploads")
    files = verify_files(folder)
    if files.problems:
        _fail("佐证材料校验失败:\n" + "\n".join(files.problems))
    click.echo(f"佐证材料 {files.checked} 个,SHA-256 全部一致")
    if result.head:
        click.echo(f"head: #{result.head[0]} {result.head[1]}")


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file):
    """An online, consistent backup while the app runs: the database, every evidence file and a manifest
    with their SHA-256s and the audit chain's head, in one zip."""
    from tracker.services.backup import BackupError, backup

    _open_database(create=False)
    try:
        result = backup(file)
    except BackupError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"备份失败,未留下不完整的文件:{exc}")
    m = result.manifest
    rows = sum(t["rows"] for t in m["tables"].values())
    click.echo(f"备份完成:{result.path}(北京时间 {m['created_at']})")
    click.echo(f"  数据表 {len(m['tables'])} 张,共 {rows} 行;佐证材料 {len(m['evidence'])} 个")
    if m["audit_head"]:
        click.echo(f"  head: #{m['audit_head']['seq']} {m['audit_head']['hash']}")
    if result.missing:
        click.echo(
            f"警告:数据库登记的 {len(result.missing)} 个佐证材料文件在磁盘上找不到,未能备份:"
            + ", ".join(result.missing[:10]),
            err=True,
        )


@cli.command("doctor")
@click.option(
    "--rebuild-ledger",
    is_flag=True,
    help="Recompute the report ledger (report_ledger and its change rows) from the revisions, audited.",
)
def doctor_command(rebuild_ledger):
    """Check the database, every evidence file and the audit chain in one go; remove orphaned files."""
    from tracker.services import doctor

    _open_database(create=False)
    if rebuild_ledger:
        for line in doctor.rebuild_ledger():
            click.echo(line)
    report = doctor.run()
    for line in report.lines:
        click.echo(line)
    if not report.ok:
        _fail("发现问题,见上(标 ✗ 的各项)。")
    click.echo("检查完毕,未发现问题。")


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace the rows of a database that is not empty.")
def restore_command(file, force):
    """Restore a backup into an empty database (SQLite or PostgreSQL) and evidence folder."""
    from tracker.services.admin import check_audit_chain
    from tracker.services.backup import BackupError, restore, verify_evidence

    _open_database(create=False)
    try:
        result = restore(file, force=force)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(
        f"已恢复 {sum(result.tables.values())} 行(数据表 {len(result.tables)} 张),佐证材料 {result.evidence} 个"
    )
    chain = check_audit_chain()
    head = result.audit_head
    if not chain.ok or (head and chain.head != (head["seq"], head["hash"])):
        _fail(f"恢复后审计链校验失败:{chain.message}")
    bad = verify_evidence()
    if bad:
        _fail("恢复后佐证材料校验失败:" + "; ".join(bad[:10]))
    click.echo(f"{chain.message};佐证材料与 SHA-256 一致")
    if chain.head:
        click.echo(f"head: #{chain.head[0]} {chain.head[1]}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--no-scheduler", is_flag=True, help="Do not run the scheduler here (run `tracker scheduler` elsewhere)."
)
def serve(host, port, threads, no_scheduler):
    """Run the app under waitress (a production WSGI server), with the scheduler in-process."""
    from tracker.runtime import freeze_heap
    from tracker.scheduler import start_scheduler, stop_scheduler
    from tracker.web import create_app
    from tracker.web.serving import SecretKeyMissing, check_host, run

    _open_database()
    try:
        app = create_app()
        check_host(host)  # refuse before the scheduler starts
        if not no_scheduler:
            start_scheduler()
        freeze_heap()  # what start-up made stays out of every later collection
        run(app, host, port, threads)
    except SecretKeyMissing as exc:
        _fail(str(exc))
    finally:
        stop_scheduler()


@cli.command()
def scheduler():
    """Run the scheduler alone (chasing, delivery, publishing), for deployments with several app processes.

    Jobs (Asia/Shanghai): chase at 09:00 and hourly catch-ups, deliver every minute, publish after the
    cut-off. Of several schedulers only the holder of the database lease acts.
    """
    from tracker.scheduler import run_forever

    _open_database()
    run_forever()


@cli.command()
@click.option("--plan", "plan_code", help="Only this plan (code, e.g. xunyi-2024).")
@click.option("--dry-run", is_flag=True, help="Show what would be chased; write and send nothing.")
def remind(plan_code, dry_run):
    """Chase every missing, late or overdue item now, and deliver (the scheduler does this on its own)."""
    from tracker.clock import now
    from tracker.services.boards import UnknownPlan, plan_by_code
    from tracker.services.chasing import chase, deliver_pending

    _open_database()
    try:
        plan = plan_by_code(plan_code) if plan_code else None
    except UnknownPlan as exc:
        _fail(str(exc))
    moment = now()
    outcomes = chase(moment, plan, dry_run=dry_run, actor="cli")
    prefix = "(dry run) 将催办" if dry_run else "催办"
    for o in outcomes:
        click.echo(f"{prefix} {o.line()}")
    if dry_run:
        click.echo(f"(dry run) 共 {len(outcomes)} 条，未写入、未发送。")
        return
    stop = _stop_on_signals()
    run = deliver_pending(moment, actor="cli", stop=stop)
    for line in run.lines:
        click.echo(f"投递 {line}")
    click.echo(
        f"新建催办 {len(outcomes)} 条；投递成功 {run.sent}，待重试 {run.retrying}，失败 {run.failed}"
        + (f"，结果不明 {run.unknown}(不会自动重发，见 tracker deliveries)" if run.unknown else "")
        + "。"
    )
    if stop.is_set():
        click.echo("已按中断信号停止投递；未发送的留待下次。")


def _stop_on_signals():
    """An event set by SIGTERM or Ctrl+C, so a delivery run finishes the message in hand and stops."""
    import signal
    import threading

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@cli.group()
def deliveries():
    """The outbox: messages whose outcome is unknown, for the office to resend or confirm."""


@deliveries.command("list")
def deliveries_list():
    """Messages of unknown outcome (the server took them but its answer was lost)."""
    from tracker.services.outbox import unknown_deliveries

    _open_database(create=False)
    rows = unknown_deliveries()
    for d in rows:
        what = d.reminder.key if d.reminder_id else d.dedupe_key
        when = d.claimed_at.strftime("%Y-%m-%d %H:%M") if d.claimed_at else "-"
        click.echo(f"#{d.id}  {d.channel}  {d.recipient}  {what}  {when}(北京时间)  {d.last_error or ''}")
    click.echo(f"结果不明的投递 {len(rows)} 条。确认对方未收到后用 tracker deliveries resend ID 重发。")


@deliveries.command("resend")
@click.argument("delivery_id", type=int)
def deliveries_resend(delivery_id):
    """Send a message of unknown outcome again (after checking it did not arrive)."""
    _settle(delivery_id, resend=True)


@deliveries.command("confirm")
@click.argument("delivery_id", type=int)
def deliveries_confirm(delivery_id):
    """Take a message of unknown outcome as delivered."""
    _settle(delivery_id, resend=False)


def _settle(delivery_id: int, resend: bool) -> None:
    from tracker.services.outbox import NotUnknown, settle_unknown

    _open_database(create=False)
    try:
        settle_unknown(delivery_id, resend, actor="cli")
    except NotUnknown as exc:
        _fail(str(exc))
    click.echo(f"投递 #{delivery_id}: {'已重新排队，下次投递时发送' if resend else '已确认送达'}")


@cli.command()
@click.option("--plan", "plan_code", required=True, help="The plan's code, e.g. xunyi-2024.")
@click.option("--period", help="A monthly board (月调度), YYYY-MM.")
@click.option("--quarter", help="A quarterly bulletin (季通报), YYYYQn.")
@click.option("--year", help="A yearly assessment (年考核), YYYY.")
@click.option(
    "--review",
    help="One of the plan's own review windows (plan.reviews), CODE:YYYY-MM, e.g. dispatch:2024-05.",
)
@click.option("--out", type=click.Path(file_okay=False), help="Site folder (TRACKER_SITES_DIR, sites/).")
@click.option("--force", is_flag=True, help="Rewrite a published board that would now differ (audited).")
def publish(plan_code, period, quarter, year, review, out, force):
    """Write the static site for one board into the site folder (see README, "Publishing")."""
    from tracker.services.publishing import PublishError, UnknownPlan
    from tracker.services.publishing import publish as run

    if review and ":" not in review:
        raise click.UsageError(f"--review is written CODE:YYYY-MM (e.g. dispatch:2024-05), not {review!r}")
    chosen = [w for w in (period, quarter, year, review) if w]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --period, --quarter, --year or --review")
    _open_database()
    bars = []

    def progress(total):
        bar = click.progressbar(length=total, label="写入页面", file=sys.stderr)
        bars.append(bar.__enter__())
        return bar.update

    try:
        result = run(plan_code, chosen, out, force=force, progress=progress)
    except (PublishError, UnknownPlan) as exc:
        _fail(f"未发布:{exc}")
    except OSError as exc:
        _fail(f"未发布:写入站点文件失败({exc.strerror or exc}),已发布的站点保持原样,未作任何改动。")
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for board in result.boards:
        click.echo(f"{result.plan} {board.key}: {board.status}, {board.files} files, {board.digest[:12]}")
    click.echo(f"{result.out}: {len(result.written)} files written, {result.unchanged} unchanged")


@cli.command()
@click.option("--force", is_flag=True, help="Replace a database that holds non-demo data.")
@click.option("--out", type=click.Path(file_okay=False), help="Where the demo's site goes (default sites/).")
def demo(force, out):
    """A fresh demo database from the shipped plans, with users of every role; prints the logins."""
    from tracker.demo import DemoRefused, build_demo

    try:
        logins = build_demo(force=force, echo=click.echo, out=out)
    except DemoRefused as exc:
        _fail(str(exc))
    click.echo("\n演示账号(用户名 / 密码 / 角色):")
    for login in logins:
        click.echo(f"  {login.username:<16} {login.password:<16} {login.role_label}  {login.unit or ''}")
    from tracker.demo.reports import passwords_path

    if passwords_path().exists():
        click.echo(f"  其余各单位填报员(u+单位编号)的密码各不相同,见 {passwords_path()}(仅本人可读)")
    click.echo("\n启动:tracker serve,然后打开 http://127.0.0.1:8000/")


@cli.group()
def reports():
    """The monthly dispatch sheet (调度表): template out, filled sheet in."""


@reports.command("template")
@click.option("--plan", "plan_code", required=True, help="Plan code, e.g. ankang-2023.")
@click.option("--period", required=True, help="Reporting period YYYY-MM.")
@click.option("--unit", "unit_name", help="Only this unit's rows (full name, short name or alias).")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
def reports_template(plan_code, period, unit_name, out):
    """Write the sheet for a plan and period: one row per active assignment, prefilled."""
    from tracker.services.sheets import SheetError, template_bytes

    _open_database()
    try:
        data = template_bytes(plan_code, period, unit_name)
    except SheetError as exc:
        _fail(str(exc))
    with open(out, "wb") as fh:
        fh.write(data)
    click.echo(f"wrote {out}", err=True)


@reports.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--as",
    "as_user",
    help="Who imports (the revisions' author). Needed unless exactly one active admin or inspector exists.",
)
@click.option("--plan", "plan_code", help="Plan code, when the sheet lost its 说明 sheet.")
def reports_import(file, as_user, plan_code):
    """Import a filled sheet as report revisions: all rows or none.

    Any wrong cell rejects the whole file (exit 1) and every problem is named by row and column.
    A reporter or unit leader may import their own unit's rows only; an admin or inspector any.
    """
    from tracker.services.scoping import Scope
    from tracker.services.sheets import SheetError, import_sheet
    from tracker.store.models import User

    _open_database()
    if as_user:
        user = User.get_or_none(User.username == as_user, User.active == True)  # noqa: E712
        if user is None:
            raise click.UsageError(f"没有名为 {as_user!r} 的有效用户")
    else:
        office = list(
            User.select().where(User.role.in_(("admin", "inspector")), User.active == True)  # noqa: E712
        )
        if len(office) != 1:
            names = "、".join(u.username for u in office) or "无"
            raise click.UsageError(f"请用 --as 指定导入人(管理员和督查室账号:{names})")
        user = office[0]
        click.echo(f"导入人:{user.username}", err=True)
    try:
        result = import_sheet(file, Scope.of(user), plan_code=plan_code)
    except SheetError as exc:
        _fail(f"{file}: 未导入,数据库未作任何改动:\n{exc}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{result.plan}: 新增修订 {result.saved} 条,与现有内容相同 {result.unchanged} 行,"
        f"未填完成进度跳过 {result.skipped} 行"
    )


def main():
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
