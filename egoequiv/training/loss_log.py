"""Watching the loss without stalling the device: the latest step's loss and its parts,
and whether any step since the last read was not finite, kept on the device and read once
every ``log_every`` steps."""

from __future__ import annotations

import torch

from egoequiv.errors import EgoequivError


class TrainingDiverged(EgoequivError):
    """The loss became NaN or infinite (lr or lam too high)."""


class LossLog:
    """The loss of the latest step and its parts, and whether any step since the last read
    had a non-finite loss, all kept on the device; ``read`` syncs once. (Logging the step's
    own values rather than a window mean keeps a resumed run's history exact.)"""

    def __init__(self, device: torch.device):
        self.last, self.first = {}, None
        self.bad = torch.zeros((), dtype=torch.bool, device=device)

    def add(self, iteration: int, loss: torch.Tensor, parts: dict[str, torch.Tensor]) -> None:
        self.last = {"loss": loss.detach(), **parts}
        self.bad = self.bad | ~torch.isfinite(self.last["loss"])
        self.first = iteration if self.first is None else self.first

    def read(self, iteration: int) -> dict[str, float]:
        if not self.last:
            return {}
        values = torch.stack([self.bad.float(), *(v.float() for v in self.last.values())])
        bad, *rest = values.cpu().tolist()
        if bad:
            raise TrainingDiverged(f"training diverged between iterations {self.first} and "
                                   f"{iteration} (a non-finite loss); lower lr or lam")
        self.first = None
        return dict(zip(self.last, rest))
