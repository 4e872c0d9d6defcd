"""PairDataset: the task's training pairs as a torch Dataset, normalised as training does;
it batches with DataLoader (0 and 2 workers) and trains a user's own net with egoequiv's
equivariance loss."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

import egoequiv
from egoequiv.config import load_config
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.losses import EquivarianceLoss, drlim_loss
from egoequiv.task.load import prepare

SETTINGS = {"image_size": 16, "channels": 1}


@pytest.fixture(scope="module")
def eth80(shared_data):
    spec = f"eth80:{shared_data / 'eth80'}"
    frames, task = prepare(load_config(overrides=SETTINGS), spec, quiet=True)
    return spec, frames, task


@pytest.fixture(scope="module")
def dataset(eth80):
    return egoequiv.PairDataset(eth80[0], **SETTINGS)


def test_pairs_are_the_tasks_with_trainings_normalisation(eth80, dataset):
    _, frames, task = eth80
    chosen = task.pairs.select(task.pairs.pattern >= 0)
    assert len(dataset) == len(chosen) > 0
    for name in ("i", "j", "pattern", "motion"):
        assert np.array_equal(getattr(dataset.pairs, name), getattr(chosen, name))
    norm = Normalizer.fit(frames.images, task.train)  # what the trainer fits
    for k in (0, len(dataset) // 2, len(dataset) - 1):
        x_i, x_j, pattern, motion = dataset[k]
        want = norm(torch.from_numpy(np.asarray(frames.images[[chosen.i[k], chosen.j[k]]])))
        assert torch.equal(x_i, want[0]) and torch.equal(x_j, want[1])
        assert x_i.dtype == torch.float32 and x_i.shape == (1, 16, 16)
        assert pattern.dtype == torch.int64 and int(pattern) == chosen.pattern[k] >= 0
        assert torch.equal(motion, torch.from_numpy(
            task.zscore(chosen.motion[k:k + 1])[0].astype(np.float32)))
    assert dataset.num_patterns == 4 and dataset.motion_dim == 2 and dataset.in_channels == 1


def test_all_pairs_and_the_test_split(eth80):
    _, frames, task = eth80
    every = egoequiv.PairDataset(task, kind="all")
    assert np.array_equal(every.pairs.i, task.pairs.i) and len(every) == len(task.pairs)
    assert (every.pairs.pattern < 0).any()  # pairs without a pattern are kept
    held = egoequiv.PairDataset(task, split="test")
    assert np.isin(held.pairs.i, task.test).all()
    with pytest.raises(EgoequivError, match="kind must be one of"):
        egoequiv.PairDataset(task, kind="some")
    with pytest.raises(EgoequivError, match="apply to a dataset spec only"):
        egoequiv.PairDataset(task, image_size=32)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_dataloader_batch_has_the_right_shapes(dataset, workers):
    loader = DataLoader(dataset, batch_size=8, shuffle=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(0))
    x_i, x_j, pattern, motion = next(iter(loader))
    assert x_i.shape == x_j.shape == (8, 1, 16, 16)
    assert pattern.shape == (8,) and pattern.dtype == torch.int64
    assert motion.shape == (8, 2) and motion.dtype == torch.float32
    assert torch.isfinite(x_i).all() and ((pattern >= 0) & (pattern < 4)).all()


def test_egoequivs_losses_train_a_users_own_net_from_it(dataset):
    torch.manual_seed(0)
    g, d = dataset.num_patterns, 8
    net = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 32), nn.ReLU(), nn.Linear(32, d))
    maps = nn.Parameter(torch.eye(d).repeat(g, 1, 1))
    opt = torch.optim.SGD([*net.parameters(), maps], lr=0.01, momentum=0.9)
    equiv = EquivarianceLoss(margin=1.0)
    loader = DataLoader(dataset, batch_size=16, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    losses = []
    for _step, (x_i, x_j, pattern, _motion) in zip(range(5), loader):
        z_i, z_j = net(x_i), net(x_j)
        mapped = torch.einsum("gde,be->bgd", maps, z_i)
        similar = torch.arange(32) < 16  # the pairs, then each z_i beside another's z_j
        loss = equiv(mapped, z_j, pattern, z_i=z_i) + drlim_loss(
            torch.cat([z_i, z_i]), torch.cat([z_j, z_j.roll(1, 0)]), similar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert len(losses) == 5 and np.isfinite(losses).all()
    assert maps.grad is not None and maps.grad.abs().sum() > 0


def test_the_labelled_frames_are_the_tasks_subset_normalised_as_the_pairs(eth80, dataset,
                                                                           shared_data):
    _, frames, task = eth80
    train, test = dataset.labelled(), dataset.labelled("test")
    assert np.array_equal(train.index, task.labelled) and len(train) > 0
    assert not np.isin(train.index, np.r_[dataset.pairs.i, dataset.pairs.j]).any()
    assert np.isin(test.index, task.test).all() and len(test) == len(task.test)
    for data, k in ((train, 0), (train, len(train) - 1), (test, 3)):
        x, label = data[k]
        row = data.index[k]
        want = dataset.normalizer(torch.from_numpy(np.asarray(frames.images[[row]])))[0]
        assert torch.equal(x, want) and int(label) == task.table.labels[row]
    batch = next(iter(DataLoader(train, batch_size=4)))
    assert batch.x.shape == (4, 1, 16, 16) and batch.label.dtype == torch.int64
    assert train.num_classes == 8 and len(train.class_names) == 8
    with pytest.raises(EgoequivError, match="no labelled frames in the train split"):
        egoequiv.LabelledFrames(eth80[0], labels_per_class=0, **SETTINGS)
    with pytest.raises(EgoequivError, match="the source has no class labels"):
        egoequiv.LabelledFrames(f"kitti-odometry:{shared_data / 'kitti_odometry'}",
                                **SETTINGS)
    with pytest.raises(IndexError):
        train[len(train)]
