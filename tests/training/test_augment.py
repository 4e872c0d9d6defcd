"""Pair-consistent random shifts: checked against a brute-force translation."""

import numpy as np
import torch

from egoequiv.methods.base import Needs
from egoequiv.training.augment import draw_shifts, translate
from egoequiv.training.sampler import BatchSampler


def brute_translate(x: np.ndarray, dy: int, dx: int, m: int) -> np.ndarray:
    padded = np.pad(x, ((0, 0), (m, m), (m, m)), mode="edge")
    h, w = x.shape[1:]
    return padded[:, m - dy:m - dy + h, m - dx:m - dx + w]


def test_translate_moves_each_frame_by_its_own_shift_repeating_the_border():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3, 7, 9)).astype(np.float32)
    shifts = rng.integers(-3, 4, size=(6, 2))
    got = translate(torch.from_numpy(x), torch.from_numpy(shifts), 3).numpy()
    for k, (dy, dx) in enumerate(shifts):
        np.testing.assert_array_equal(got[k], brute_translate(x[k], dy, dx, 3))
    # a shift of (1, 0) moves the content down one row
    moved = translate(torch.from_numpy(x[:1]), torch.tensor([[1, 0]]), 1).numpy()
    np.testing.assert_array_equal(moved[0, :, 1:], x[0, :, :-1])


def test_the_frames_of_a_pair_share_their_shift():
    shifts = draw_shifts(np.random.default_rng(1), ["x", "pos_i", "pos_j", "neg_i"], 50, 2)
    x, pos_i, pos_j, neg_i = np.split(shifts, 4)
    np.testing.assert_array_equal(pos_i, pos_j)
    assert not np.array_equal(x, pos_i) and not np.array_equal(neg_i, pos_i)
    assert shifts.min() == -2 and shifts.max() == 2


def test_shifts_are_drawn_after_the_frames_so_the_frames_do_not_change(shared_data):
    from egoequiv.config import load_config
    from egoequiv.task.load import prepare

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "method": "equiv+drlim"})
    _, task = prepare(cfg, f"eth80:{shared_data / 'eth80'}", quiet=True)
    needs = Needs(labels=True, pairs="patterned", negatives=True)
    plain = BatchSampler(task, needs, 8, seed=3).sample(7)
    shifted = BatchSampler(task, needs, 8, seed=3, max_shift=2).sample(7)
    assert set(shifted) == set(plain) | {"shift"}
    assert all(np.array_equal(plain[k], shifted[k]) for k in plain)
    assert shifted["shift"].shape == (5 * 8, 2)
