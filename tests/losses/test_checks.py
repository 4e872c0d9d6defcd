"""Value checks (index ranges, NaN) are an argument of the losses that read values: on the
CPU by default, off the CPU only when asked, never inside vmap; no environment switch."""

import pytest
import torch

from egoequiv.losses import equivariance_loss, lsm_bin_targets, lsm_loss, softmax_loss
from egoequiv.losses._checks import reads_values

CPU, META = torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.long, device="meta")


@pytest.mark.parametrize("t, asked, reads", [
    (CPU, None, True), (CPU, True, True), (CPU, False, False),
    (META, None, False), (META, True, True), (META, False, False),
])
def test_values_are_read_as_asked_else_on_the_cpu(monkeypatch, t, asked, reads):
    monkeypatch.setenv("EGOEQUIV_CHECK_VALUES", "1")  # no longer a switch
    assert reads_values(t, asked) is reads


def bad_pattern_case():
    gen = torch.Generator().manual_seed(0)
    mapped, z_j = torch.randn(3, 2, 4, generator=gen), torch.randn(3, 4, generator=gen)
    return mapped, z_j, torch.tensor([0, 2, 1])  # 2 is not one of the 2 maps


def test_equivariance_loss_checks_the_pattern_range_unless_told_not_to():
    mapped, z_j, pattern = bad_pattern_case()
    for asked in (None, True):
        with pytest.raises(ValueError, match=r"pattern values must lie in \[0, 2\)"):
            equivariance_loss(mapped, z_j, pattern, check_values=asked)
    assert torch.isfinite(equivariance_loss(mapped, z_j, pattern, check_values=False))


def test_softmax_and_lsm_pass_the_argument_on():
    logits, labels = torch.zeros(2, 3), torch.tensor([0, 5])
    with pytest.raises(ValueError, match=r"softmax_loss: labels values must lie in \[0, 3\)"):
        softmax_loss(logits, labels)
    with pytest.raises(IndexError):  # torch's own error: ours was not run
        softmax_loss(logits, labels, check_values=False)
    with pytest.raises(ValueError, match=r"lsm_loss: targets values must lie in \[0, 3\)"):
        lsm_loss(torch.zeros(2, 1, 3), labels[:, None])
    with pytest.raises(IndexError):
        lsm_loss(torch.zeros(2, 1, 3), labels[:, None], check_values=False)
    nan = torch.tensor([[float("nan")]])
    with pytest.raises(ValueError, match="contains NaN"):
        lsm_bin_targets(nan)
    assert lsm_bin_targets(nan, check_values=False).shape == (1, 1)


def test_inside_vmap_values_are_not_read_even_when_asked():
    gen = torch.Generator().manual_seed(1)
    mapped, z_j = torch.randn(2, 3, 2, 4, generator=gen), torch.randn(2, 3, 4, generator=gen)
    pattern = torch.tensor([[0, 1, 1], [1, 0, 0]])

    def member(m, zj, p):
        return equivariance_loss(m, zj, p, check_values=True)

    stacked = torch.func.vmap(member)(mapped, z_j, pattern)
    alone = torch.stack([member(mapped[r], z_j[r], pattern[r]) for r in range(2)])
    assert torch.allclose(stacked, alone)
