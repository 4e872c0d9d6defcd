import numpy as np

from egoequiv.evaluation.equivariance import fit_maps
from egoequiv.evaluation.retrieval import (
    nearest,
    plot_retrieval_grid,
    retrieve_after_motion,
    retrieve_neighbours,
)


def test_nearest_and_neighbours_exclude_the_query():
    cand = np.array([[0.0], [1.0], [3.0], [6.0]])
    assert nearest(np.array([[2.9], [0.4]]), cand, 2).tolist() == [[2, 1], [0, 1]]
    z = np.arange(10, dtype=float)[:, None]
    near = retrieve_neighbours(z, np.array([4, 9]), np.array([3, 4, 5, 8]), k=2)
    assert near[0].tolist() in ([3, 5], [5, 3]) and near[1].tolist() == [8, 5]


def test_after_motion_finds_the_true_next_view():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 4))
    shift = np.array([1.0, 0, 0, 0])
    z[25:] = z[:25] + shift  # frame k+25 is frame k after motion 0
    i, j = np.arange(25), np.arange(25) + 25
    maps = fit_maps(z[i], z[j], np.zeros(25, int), 1, ridge=1e-9)
    near, hit = retrieve_after_motion(z, maps, i, j, np.zeros(25, int), np.arange(50), k=3)
    assert (near[:, 0] == j).all() and hit[:, 0].all()


def test_plot_retrieval_grid_writes_png(tmp_path):
    images = (np.random.default_rng(1).random((10, 8, 8, 1)) * 255).astype(np.uint8)
    path = plot_retrieval_grid(images, np.array([0, 1]), np.array([[2, 3], [4, 5]]),
                               np.array([3, -1]), tmp_path / "grid.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.iterdir()) == [path]
