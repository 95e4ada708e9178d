"""日历订阅: a unit's feed holds its due days, deadlines and rectification deadlines and no other
unit's; the office's holds the whole plan; resetting the secret stops the old URL at once."""

from __future__ import annotations

import re
from datetime import date

from icalendar import Calendar

from tests.web.conftest import csrf_token, sign_in


def _feed_url(client) -> str:
    page = client.get("/calendar/").get_data(as_text=True)
    return re.search(r"http://localhost(/calendar/[^<]+\.ics)", page).group(1)


def _events(client, url) -> dict[str, object]:
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    cal = Calendar.from_ical(answer.data)
    return {str(e["summary"]): e.decoded("dtstart") for e in cal.walk("VEVENT")}


def test_a_units_feed_has_its_due_days_deadlines_and_findings_only(client, world):
    sign_in(client, "clerk")
    url = _feed_url(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/calendar/")})
    events = _events(client, url)  # a calendar app sends no login
    assert events["【月度报送】5月进展报送截止(23:59)"] == date(2024, 5, 25)  # the plan's due day
    own, other = world.own, world.other
    assert any(s.startswith(f"【完成时限】第{own.assignment.measure.code}项") for s in events)
    assert events[f"【整改期限】{own.finding.title}"] == own.finding.rectify_by
    assert not any(other.finding.title in s for s in events)


def test_the_office_feed_covers_every_unit_and_a_reset_stops_the_old_url(client, world):
    sign_in(client, "inspector")
    url = _feed_url(client)
    events = _events(client, url)
    assert any(world.own.finding.title in s for s in events) and any(
        world.other.finding.title in s for s in events
    )
    feed_id = re.search(r"/calendar/(\d+)/reset", client.get("/calendar/").get_data(as_text=True)).group(1)
    client.post(f"/calendar/{feed_id}/reset", data={"csrf_token": csrf_token(client, "/calendar/")})
    assert client.get(url).status_code == 404
    assert _feed_url(client) != url and _events(client, _feed_url(client))
