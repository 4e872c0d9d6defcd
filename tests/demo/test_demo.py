"""``egoequiv demo --quick`` end to end: rendered data, every method, report and plots."""

import json

import pytest
from PIL import Image

from egoequiv.cli.main import main
from egoequiv.demo.plan import ALL_METHODS


@pytest.mark.slow
def test_quick_demo_writes_a_readable_report_and_reuses_finished_runs(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--quiet", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    objects = results["tasks"]["objects"]["summary"]
    assert set(objects) == set(ALL_METHODS)
    for method, stats in objects.items():
        assert 0 <= stats["top1"]["mean"] <= 1, method
        assert stats["equivariance_error"]["mean"] > 0, method
    report = (out / "report.md").read_text()
    assert "| equiv+drlim |" in report and "What each number means" in report
    for name in ("objects_top1", "objects_equivariance", "objects_motion_patterns",
                 "objects_pattern_examples", "objects_slowness_curve", "drive_top1",
                 "drive_motion_patterns"):
        png = out / "figures" / f"{name}.png"
        assert png.exists() and f"figures/{name}.png" in report
        with Image.open(png) as im:
            assert im.size[0] > 200 and im.size[1] > 150

    run = out / "runs" / "objects" / "equiv" / "split0" / "metrics.json"
    before = run.stat().st_mtime_ns
    assert main(["demo", "--quick", "--quiet", "--out", str(out)]) == 0
    assert run.stat().st_mtime_ns == before  # finished runs are reused, not retrained
