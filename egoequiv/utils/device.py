"""Device choice and torch.distributed (torchrun) setup."""

from __future__ import annotations

import os

import torch

from egoequiv.errors import EgoequivError


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda when available (this process's LOCAL_RANK under torchrun), else cpu."""
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{local_rank}"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise EgoequivError(f"--device {name}: CUDA is not available on this machine")
    try:
        return torch.device(name)
    except RuntimeError:
        raise EgoequivError(f"--device {name!r}: expected auto, cpu, cuda or cuda:N") from None


def distributed_world() -> tuple[int, int]:
    """(rank, world size); initialises the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def end_distributed() -> None:
    """Destroy the process group (torchrun), after freeing what still holds it.

    A DDP wrapper kept alive by a reference cycle keeps the gloo group's worker threads until
    the interpreter's finalisation, which then aborts the process ("terminate called without
    an active exception", SIGABRT) when a rank exits before the other. Measured with a bare
    two-process DDP script on 2 CPU cores: 12 of 80 runs aborted; 0 of 100 after
    ``gc.collect()``."""
    import gc

    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()
