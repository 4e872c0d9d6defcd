"""Training batches, in the sampler's exact order, from frames on the device or streamed.

``BatchLoader`` decides by size (``device_cache_mb``): a cache that fits is copied to the
training device once, and a batch is gathered there; a larger one stays on disk (the
``FrameStore``) and each batch's rows are read from it:

- ``prefetch=0`` (default): in the training step, after asking the kernel to start reading
  the *next* batch's rows (``MADV_WILLNEED``), so the disk works while the step computes and
  no extra thread competes with the compute threads. On a GPU the step's kernels are queued
  without a host sync, so this read also overlaps the GPU's work.
- ``prefetch=N``: a background thread reads N batches ahead (into pinned memory on a GPU).
  It is not the default because on a CPU the thread takes cycles from torch's compute
  threads (benchmarks/streaming.py measures both).

Either way a batch holds the same uint8 frames, normalised on the device, so all give
bit-identical training, and a resumed run draws exactly the batches of the uninterrupted one.
"""

from __future__ import annotations

import queue
import threading

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.methods.batch import STREAMS, Layout
from egoequiv.training.augment import translate
from egoequiv.training.sampler import BatchSampler


def flat_index(idx: dict) -> tuple[list[str], np.ndarray]:
    """The streams present in a batch and their frame indices, concatenated."""
    streams = [k for k in STREAMS if k in idx]
    return streams, np.concatenate([idx[k] for k in streams])


def to_device(host: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    """Host data on ``device`` without a host sync: on a GPU a copy from pageable memory
    waits for every queued kernel, so the copy goes through pinned memory, asynchronously."""
    t = torch.from_numpy(host) if isinstance(host, np.ndarray) else host
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def assemble(idx: dict, streams: list[str], frames_u8: torch.Tensor, labels,
             normalizer: Normalizer, device: torch.device) -> dict:
    """The batch (``methods.batch``): the uint8 frames normalised once (and moved by their
    ``shift``, where the sampler drew one), with their layout and y/pattern/motion."""
    x = normalizer(frames_u8)
    if "shift" in idx:
        shifts = idx["shift"]
        x = translate(x, to_device(shifts, device), int(np.abs(shifts).max(initial=0)))
    batch = {"frames": x, "layout": Layout.of({k: len(idx[k]) for k in streams})}
    if "x" in idx:
        batch["y"] = labels[to_device(idx["x"], device)]
    if "pattern" in idx:
        batch["pattern"] = to_device(idx["pattern"], device)
        batch["motion"] = to_device(idx["motion"], device)
    return batch


def to_batch(idx: dict, images: torch.Tensor, labels, normalizer: Normalizer,
             device: torch.device) -> dict:
    """A batch gathered from frames already on the device."""
    streams, flat = flat_index(idx)
    return assemble(idx, streams, images[to_device(flat, device)], labels, normalizer, device)


class BatchLoader:
    def __init__(self, sampler: BatchSampler, images, labels: np.ndarray | None,
                 normalizer: Normalizer, device: torch.device, device_cache_mb: int,
                 prefetch: int = 4, shared: torch.Tensor | None = None):
        """``shared``: these frames already on ``device`` (another loader's ``images``, so
        the members of a batch hold one copy)."""
        self.sampler, self.normalizer, self.device = sampler, normalizer, device
        self.prefetch = prefetch
        nbytes = int(np.prod(images.shape))
        self.on_device = nbytes <= device_cache_mb * 2**20
        if self.on_device:
            self.images = shared if shared is not None else \
                torch.from_numpy(np.asarray(images)).to(device)
        else:
            self.images = images
        self.labels = torch.from_numpy(labels).to(device) if labels is not None else None
        self.placement = (f"frames on {device.type} ({nbytes / 2**20:.0f} MB)" if self.on_device
                          else f"frames streamed from disk ({nbytes / 2**20:.0f} MB > "
                               f"device_cache_mb={device_cache_mb})")

    def batches(self, start: int, stop: int):
        """Batches of iterations start .. stop - 1."""
        if self.on_device:
            for it in range(start, stop):
                yield to_batch(self.sampler.sample(it), self.images, self.labels,
                               self.normalizer, self.device)
        elif self.prefetch == 0:
            yield from self._read_in_step(start, stop)
        else:
            yield from self._streamed(start, stop)

    def _read_in_step(self, start: int, stop: int):
        """Read each batch in the training thread, having asked the kernel to fetch the
        next batch's rows meanwhile (no thread competes with the compute threads)."""
        upcoming = self.sampler.sample(start) if start < stop else None
        for it in range(start, stop):
            idx, upcoming = upcoming, self.sampler.sample(it + 1) if it + 1 < stop else None
            streams, flat = flat_index(idx)
            frames = torch.from_numpy(self.images[flat])
            if upcoming is not None and hasattr(self.images, "will_need"):
                self.images.will_need(flat_index(upcoming)[1])
            yield assemble(idx, streams, to_device(frames, self.device), self.labels,
                           self.normalizer, self.device)

    def _read(self, it: int):
        idx = self.sampler.sample(it)
        streams, flat = flat_index(idx)
        frames = torch.from_numpy(self.images[flat])
        if self.device.type == "cuda":  # pinned in the reader thread, copied in the step
            frames = frames.pin_memory()
        return idx, streams, frames

    def _streamed(self, start: int, stop: int):
        ready: queue.Queue = queue.Queue(maxsize=self.prefetch)
        done = threading.Event()

        def offer(item) -> bool:
            """Queue ``item`` unless the consumer has stopped; whether it was queued."""
            while not done.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def read_ahead():
            try:
                for it in range(start, stop):
                    if not offer(self._read(it)):
                        return
            except BaseException as e:  # handed to the training thread, raised there
                offer(e)

        reader = threading.Thread(target=read_ahead, name="egoequiv-prefetch", daemon=True)
        reader.start()
        try:
            for _ in range(start, stop):
                item = ready.get()
                if isinstance(item, BaseException):
                    raise item
                idx, streams, frames = item
                frames = frames.to(self.device, non_blocking=True)
                yield assemble(idx, streams, frames, self.labels, self.normalizer, self.device)
        finally:
            done.set()
            reader.join()
