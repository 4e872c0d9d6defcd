import numpy as np

from egoequiv.evaluation.plots import plot_bars, plot_equivariance_per_pattern, plot_roc


def test_plots_write_pngs_and_accept_undefined_values(tmp_path):
    a = plot_equivariance_per_pattern([0.1, None, 0.5], tmp_path / "eq.png")
    b = plot_roc({"test": (np.array([0, 0.5, 1]), np.array([0, 0.9, 1]))}, tmp_path / "roc.png")
    c = plot_bars({"equiv": [0.7, 0.8], "drlim": [0.6, None]}, tmp_path / "acc.png",
                  xlabels=["a", "b"], errors={"equiv": [0.01, None]})
    for p in (a, b, c):
        assert p.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acc.png", "eq.png", "roc.png"]
