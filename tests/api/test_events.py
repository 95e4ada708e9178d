"""Events reach a subscribed receiver as signed JSON through the outbox, within the subscription's scope."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.api.conftest import bearer
from tests.local_servers import Webhook
from tests.web.conftest import csrf_token, sign_in
from tracker.cli import cli
from tracker.clock import now
from tracker.services import events, outbox
from tracker.services.scoping import Scope
from tracker.services.supervision import answer_finding
from tracker.store.models import Delivery


@pytest.fixture
def sink():
    hook = Webhook().start()
    yield hook
    hook.stop()


def _valid(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Tracker-Signature"], expected)


def test_a_report_filed_through_the_api_reaches_the_sink_signed(client, world, token_of, sink, runner):
    made = runner.invoke(
        cli, ["events", "subscribe", sink.url, "--name", "市督查督办系统", "--kind", "report.filed"]
    )
    assert made.exit_code == 0, made.output
    secret = made.output.split("secret: ")[1].split()[0]

    answer = client.post(
        f"/api/v1/assignments/{world.own.assignment.id}/reports",
        headers=bearer(token_of("clerk")),
        json={"period": "2024-05", "percent": 65, "narrative": "推进中"},
    )
    assert answer.status_code == 201
    run = outbox.deliver(now())
    assert run.sent == 1, run.lines
    ((headers, body),) = sink.raw
    assert _valid(secret, headers, body)
    assert not _valid("another secret", headers, body)
    event = json.loads(body)
    assert event["type"] == "report.filed" and headers["X-Tracker-Event-Id"] == event["id"]
    assert event["data"]["revision"] == answer.get_json()["revision"]["id"]
    assert event["data"]["source"] == "api" and event["unit_id"] == world.own.unit.id
    # Sent once: a second run has nothing to do.
    assert outbox.deliver(now()).sent == 0 and len(sink.raw) == 1
    listed = runner.invoke(cli, ["events", "list"])
    assert "市督查督办系统" in listed.output and "sent" in listed.output


def test_a_units_subscription_never_hears_of_another_unit(world, sink):
    mine = events.subscribe("test", "甲局工作台", sink.url, owner=world.people["clerk"])
    office = events.subscribe("test", "督查室", sink.url)
    answer_finding(Scope.of(world.other.clerk), world.other.finding.id, "已整改")
    answer_finding(Scope.of(world.own.clerk), world.own.finding.id, "已整改")
    outbox.deliver(now())
    heard = [(json.loads(b)["data"]["finding"], h["X-Tracker-Signature"]) for h, b in sink.raw]
    assert sorted(f for f, _ in heard) == sorted(
        [world.own.finding.id, world.other.finding.id, world.own.finding.id]
    )
    to_mine = Delivery.select().where(Delivery.recipient.startswith(f"#{mine.id} "))
    assert [d.payload["event"]["data"]["finding"] for d in to_mine] == [world.own.finding.id]
    assert Delivery.select().where(Delivery.recipient.startswith(f"#{office.id} ")).count() == 2


def test_a_failing_receiver_is_retried_and_the_log_says_why(world, sink):
    events.subscribe("test", "督查室", sink.url, ["finding.answered"])
    sink.failing = 1
    answer_finding(Scope.of(world.own.clerk), world.own.finding.id, "已整改")
    first = outbox.deliver(now())
    assert first.retrying == 1 and not sink.raw
    delivery = Delivery.get(Delivery.channel == "event")
    assert delivery.status == "pending" and "500" in delivery.last_error
    later = outbox.deliver(delivery.next_attempt_at)
    assert later.sent == 1 and len(sink.raw) == 1


def test_the_admin_page_adds_a_subscription_and_shows_its_secret_once(client, world, sink):
    sign_in(client, "admin")
    page = client.post(
        "/integrations/events",
        data={
            "name": "大屏",
            "url": sink.url,
            "owner": "0",
            "kinds": ["board.published", "report.filed"],
            "csrf_token": csrf_token(client, "/integrations/events"),
        },
    )
    assert page.status_code == 200
    sub = events.subscriptions()[0]
    assert sub.secret in page.get_data(as_text=True) and sub.kinds == ["board.published", "report.filed"]
    assert sub.secret not in client.get("/integrations/events").get_data(as_text=True)
    bad = client.post(
        "/integrations/events",
        data={
            "name": "x",
            "url": "ftp://x",
            "owner": "0",
            "csrf_token": csrf_token(client, "/integrations/events"),
        },
    )
    assert bad.status_code == 400 and "http://" in bad.get_data(as_text=True)
