"""The demo leaves a notice waiting in 通知转换: converted from Word, with its review line and summary."""

from __future__ import annotations

from tracker.demo import _seed_notice
from tracker.services.notices import list_notices, outline


def test_the_demo_stages_a_notice_whose_review_names_the_measure_without_a_lead(loaded, tmp_path):
    said: list[str] = []
    _seed_notice(tmp_path, said.append)
    [notice] = list_notices(tmp_path)
    assert said == [f"已上传待审核的通知 ankang-renjing-2024.docx:{notice.summary}"]
    assert notice.summary == "4 项措施：3 项完整，1 项缺牵头单位"
    rows = {r.code: r for r in outline(notice, notice.draft()).rows if r.measure}
    assert rows["2.3"].lead == () and rows["2.3"].flags
    assert "市农业农村居" in rows["1.2"].responsible  # the misprint stays as printed, for the admin to fix
    assert "leaders: [王某某]" in notice.draft()
