"""bandit finds no medium or high issue in tracker/ (false positives carry `# nosec BXXX # reason`),
and the one it found that was real stays fixed: a work-notice API address is http(s) only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.services.channels import PERMANENT, DeliveryError
from tracker.services.work_notices import _call

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_reports_no_medium_or_high_finding():
    bandit = Path(sys.executable).with_name("bandit")
    if not bandit.exists():
        pytest.skip("bandit is not installed (pip install -e '.[test]')")
    run = subprocess.run(
        [str(bandit), "-q", "-r", "tracker", "-ll", "-f", "json"], cwd=ROOT, capture_output=True, text=True
    )
    findings = json.loads(run.stdout)["results"]
    assert not [f"{f['filename']}:{f['line_number']} {f['test_id']}" for f in findings]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_a_work_notice_api_address_that_is_not_http_is_refused_before_any_read(url):
    with pytest.raises(DeliveryError) as refused:
        _call(url, {"touser": "x"}, who="企业微信接口")
    assert refused.value.outcome == PERMANENT and "http://" in str(refused.value)
