"""A small plan with three months of reports for the published site: on-time, late and missing
reports, a confirmed completion, findings (one public), a bulletin and quality ratings, and every
private field seeded with a marker that must never reach the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.services.users import add_user
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Bulletin,
    Completion,
    Evidence,
    ExtensionRequest,
    Finding,
    FindingEvent,
    Inspection,
    Measure,
    QualityRating,
    RectificationList,
    Reminder,
    Report,
    ReportReturn,
    ReportRevision,
    Unit,
)

HERE = Path(__file__).parent
PLAN_FILE = HERE / "sample-plan.yaml"
GOLDEN = HERE / "golden"
BOARDS = ["2024-04", "2024-05", "2024-06", "2024Q2", "2024"]
MARK = "SECRET-MARKER"


def at(month: int, day: int, hour: int = 10, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=TZ)


@dataclass
class Sample:
    people: dict
    assignments: dict  # (measure code, unit short) → Assignment


def _assignment(code: str, short: str) -> Assignment:
    return (
        Assignment.select()
        .join(Measure)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Measure.code == code, Unit.short == short)
        .get()
    )


def file_report(sample, code, short, period, when, percent, *, complete=False, summary="", values=None):
    """One saved revision, with every internal text field carrying a marker."""
    assignment = sample.assignments[(code, short)]
    with write_transaction():
        report, _ = Report.get_or_create(assignment=assignment, period=period, defaults={"created_at": when})
        number = ReportRevision.select().where(ReportRevision.report == report).count() + 1
        return ReportRevision.create(
            report=report,
            number=number,
            author=sample.people["clerk"],
            recorded_at=when,
            percent=percent,
            complete=complete,
            narrative=f"{MARK}-narrative {code} {short} {period}",
            problems=f"{MARK}-problems {code}",
            next_steps=f"{MARK}-next-steps {code}",
            public_summary=summary,
            indicator_values=values or {},
            indicator_notes={name: f"{MARK}-indicator-note" for name in (values or {})},
        )


def build_sample() -> Sample:
    load_plans([PLAN_FILE], actor="test")
    people = {
        "clerk": add_user(
            f"{MARK}-username-clerk",
            "reporter",
            "东城镇",
            "correct horse battery",
            display_name=f"{MARK}-display-name 张三",
            email="secret-marker-email@example.org",
            must_change=False,
        )[0],
        "inspector": add_user(
            f"{MARK}-username-inspector",
            "inspector",
            None,
            "correct horse battery",
            display_name=f"{MARK}-display-name 督查员",
            must_change=False,
        )[0],
    }
    pairs = [("1.1", "县农业农村局"), ("1.1", "东城镇"), ("1.1", "西山镇"), ("1.2", "县农业农村局")]
    pairs += [
        ("1.2", "东城镇"),
        ("2.1", "县住建局"),
        ("2.1", "东城镇"),
        ("2.1", "西山镇"),
        ("2.2", "县住建局"),
    ]
    sample = Sample(people, {pair: _assignment(*pair) for pair in pairs})
    toilets = "改建卫生厕所"

    # April: mostly on time; 西山镇 misses 1.1.
    file_report(
        sample,
        "1.1",
        "县农业农村局",
        "2024-04",
        at(4, 20),
        20,
        summary="已改建卫生厕所80座",
        values={toilets: 80},
    )
    file_report(sample, "1.1", "东城镇", "2024-04", at(4, 22), 15, values={toilets: 40})
    file_report(sample, "1.2", "县农业农村局", "2024-04", at(4, 24), 30, summary="管护办法已起草")
    file_report(sample, "1.2", "东城镇", "2024-04", at(4, 24), 30)
    file_report(sample, "2.1", "县住建局", "2024-04", at(4, 25, 23), 50, summary="开展清洁行动2次")
    file_report(sample, "2.1", "东城镇", "2024-04", at(4, 21), 50)
    file_report(sample, "2.1", "西山镇", "2024-04", at(4, 26), 40)  # late
    file_report(sample, "2.2", "县住建局", "2024-04", at(4, 20), 10, summary=f"{MARK}-nonpublic-summary")
    returned = file_report(sample, "1.1", "东城镇", "2024-04", at(4, 23), 16)

    # May: the lead of 1.1 is late and behind its milestone; 住建局 misses 2.1.
    file_report(
        sample, "1.1", "县农业农村局", "2024-05", at(5, 28), 35, summary="已改建140座", values={toilets: 140}
    )
    file_report(sample, "1.1", "东城镇", "2024-05", at(5, 24), 30, values={toilets: 70})
    file_report(sample, "1.1", "西山镇", "2024-05", at(5, 27), 20)
    file_report(sample, "1.2", "县农业农村局", "2024-05", at(5, 20), 60, summary="管护办法征求意见")
    file_report(sample, "1.2", "东城镇", "2024-05", at(5, 20), 60)
    file_report(sample, "2.1", "东城镇", "2024-05", at(5, 25), 100)
    file_report(sample, "2.1", "西山镇", "2024-05", at(5, 25), 100)
    file_report(sample, "2.2", "县住建局", "2024-05", at(5, 20), 20, summary=f"{MARK}-nonpublic-summary")

    # June: 1.2 done and confirmed; 东城镇 misses 1.1; 住建局 late on 2.1.
    file_report(
        sample, "1.1", "县农业农村局", "2024-06", at(6, 22), 55, summary="已改建320座", values={toilets: 320}
    )
    file_report(sample, "1.1", "西山镇", "2024-06", at(6, 20), 45, values={toilets: 90})
    done = file_report(
        sample, "1.2", "县农业农村局", "2024-06", at(6, 18), 100, complete=True, summary="管护机制已建立"
    )
    file_report(sample, "1.2", "东城镇", "2024-06", at(6, 18), 100, complete=True)
    file_report(sample, "2.1", "县住建局", "2024-06", at(6, 27), 100, summary="清洁行动常态开展")
    file_report(sample, "2.1", "东城镇", "2024-06", at(6, 24), 100)
    file_report(sample, "2.1", "西山镇", "2024-06", at(6, 24), 100)
    file_report(sample, "2.2", "县住建局", "2024-06", at(6, 20), 40, summary=f"{MARK}-nonpublic-summary")

    inspector = people["inspector"]
    plan = sample.assignments[("1.1", "东城镇")].measure.plan
    with write_transaction():
        ReportReturn.create(revision=returned, by=inspector, at=at(4, 24), reason=f"{MARK}-return-reason")
        Completion.create(
            assignment=done.report.assignment,
            kind="confirm",
            by=inspector,
            at=at(6, 25),
            reason=f"{MARK}-confirm",
        )
        Evidence.create(
            unit=sample.assignments[("1.1", "东城镇")].unit,
            revision=returned,
            uploaded_by=people["clerk"],
            uploaded_at=at(4, 23),
            original_name=f"{MARK}-evidence-name.pdf",
            stored_name="a" * 40,
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )
        inspection = Inspection.create(
            plan=plan,
            title=f"{MARK}-inspection-title",
            held_on=date(2024, 5, 10),
            notes=f"{MARK}-inspection-notes",
            created_by=inspector,
            created_at=at(5, 10),
        )
        town = sample.assignments[("1.1", "东城镇")]
        rect = RectificationList.create(
            unit=town.unit,
            plan=plan,
            title=f"{MARK}-rectification-title",
            body=f"{MARK}-rectification-body",
            issued_by=inspector,
            issued_at=at(5, 11),
        )
        # A private finding on 1.1, overdue and open: it turns the town's light red.
        private = Finding.create(
            plan=plan,
            inspection=inspection,
            unit=town.unit,
            measure=town.measure,
            rectification_list=rect,
            title=f"{MARK}-finding-title 改厕质量不达标",
            detail=f"{MARK}-finding-detail",
            rectify_by=date(2024, 5, 20),
            created_by=inspector,
            created_at=at(5, 10),
        )
        FindingEvent.create(
            finding=private, kind="open", by=inspector, at=at(5, 10), note=f"{MARK}-event-note"
        )
        # A public finding whose detail is not public, closed on time.
        public = Finding.create(
            plan=plan,
            unit=sample.assignments[("2.1", "西山镇")].unit,
            measure=sample.assignments[("2.1", "西山镇")].measure,
            title="垃圾清运不及时",
            detail=f"{MARK}-public-finding-detail",
            public=True,
            rectify_by=date(2024, 6, 15),
            created_by=inspector,
            created_at=at(5, 12),
        )
        FindingEvent.create(
            finding=public, kind="close", by=inspector, at=at(6, 10), note=f"{MARK}-close-note"
        )
        ExtensionRequest.create(
            assignment=sample.assignments[("2.2", "县住建局")],
            requested_by=people["clerk"],
            requested_at=at(5, 2),
            requested_deadline=date(2025, 3, 31),
            reason=f"{MARK}-extension-reason",
            decision="refused",
            decided_by=inspector,
            decided_at=at(5, 6),
            decision_reason=f"{MARK}-extension-decision",
        )
        Reminder.create(
            key="test-reminder-1",
            kind="report_missing",
            unit=town.unit,
            assignment=town,
            period="2024-06",
            message=f"{MARK}-reminder-message",
            created_by="scheduler",
            created_at=at(6, 26),
        )
        for short, points in (("东城镇", 80), ("县农业农村局", 95)):
            unit = Unit.get(Unit.short == short)
            QualityRating.create(
                plan=plan,
                unit=unit,
                quarter="2024Q2",
                points=points,
                note=f"{MARK}-quality-note",
                rated_by=inspector,
                rated_at=at(6, 28),
            )
        Bulletin.create(
            plan=plan,
            board="2024Q2",
            commentary=(
                "### 总体情况\n\n二季度改厕进度**落后于节点**，西山镇缺报一次。\n\n"
                "- 县农业农村局：管护机制已建立\n- 县住建局：6月迟报\n\n"
                "<script>alert('x')</script>[详见通报](https://example.org/notice)"
            ),
            updated_by=inspector,
            updated_at=at(7, 2),
        )
        Bulletin.create(
            plan=plan,
            board="2024-05",
            commentary="5月改厕进度落后于节点，请县农业农村局加快推进。",
            updated_by=inspector,
            updated_at=at(6, 1),
        )
    return sample


def add_later_data(sample: Sample) -> None:
    """What arrives after every board's cut-off (the year's too): late reports, revisions, findings."""
    file_report(sample, "1.1", "东城镇", "2024-06", at(1, 3, year=2025), 60, values={"改建卫生厕所": 150})
    file_report(sample, "1.1", "县农业农村局", "2024-05", at(1, 4, year=2025), 99, summary="补充修订")
    file_report(sample, "1.1", "县农业农村局", "2024-07", at(1, 20, year=2025), 70, summary="已改建450座")
    inspector = sample.people["inspector"]
    with write_transaction():
        town = sample.assignments[("1.1", "东城镇")]
        Finding.create(
            plan=town.measure.plan,
            unit=town.unit,
            measure=town.measure,
            title="7月新发现的问题",
            rectify_by=date(2024, 7, 31),
            created_by=inspector,
            created_at=at(1, 5, year=2025),
        )
        private = Finding.get(Finding.title.contains("finding-title"))
        FindingEvent.create(finding=private, kind="close", by=inspector, at=at(1, 6, year=2025))


@pytest.fixture
def sample(database, monkeypatch):
    # A fixed clock: the audit chain's head, which the feed and SHA256SUMS carry, is then the same
    # on every run.
    monkeypatch.setenv("TRACKER_NOW", "2025-01-10T10:00:00+08:00")
    return build_sample()
