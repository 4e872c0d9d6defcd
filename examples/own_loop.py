"""Your own training loop on egoequiv's building blocks: a ResNet-18 from ``egoequiv.models``
(no torchvision), the pairs of a dataset as a ``torch.utils.data.Dataset``, and the
equivariance loss with one learned map per motion pattern, in plain PyTorch.

    python examples/own_loop.py --dataset eth80:../shared/data/eth80 --steps 10

It prints the loss as it trains and, at the end, the held-out equivariance error of the
features it learned (the suite's measure; 1.0 = no better than no change).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import egoequiv
from egoequiv.config import load_config
from egoequiv.losses import EquivarianceLoss
from egoequiv.models import AffineMaps, ResNet18

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default=f"eth80:{REPO.parent / 'shared' / 'data' / 'eth80'}")
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args()
    torch.manual_seed(0)

    pairs = egoequiv.PairDataset(args.dataset, image_size=args.image_size, channels=1)
    loader = torch.utils.data.DataLoader(pairs, batch_size=args.batch_size, shuffle=True,
                                         drop_last=True)
    net = ResNet18(pairs.in_channels, pairs.image_size, feature_dim=32)
    maps = AffineMaps(32, pairs.num_patterns)
    loss_fn = EquivarianceLoss(margin=1.0)  # the method's relative pull, other maps as negatives
    opt = torch.optim.SGD([*net.parameters(), *maps.parameters()], lr=0.01, momentum=0.9)

    step = 0
    while step < args.steps:
        for x_i, x_j, pattern, _motion in loader:
            z_i, z_j = net(torch.cat([x_i, x_j]))["fc"].chunk(2)
            loss = loss_fn(maps(z_i), z_j, pattern, z_i=z_i)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 5 == 0 or step == 1:
                print(f"step {step}: equivariance loss {loss.item():.4f}")
            if step == args.steps:
                break

    net.eval()
    images = pairs.task.frames.images
    with torch.no_grad():
        z = torch.cat([net(pairs.normalizer(torch.from_numpy(np.asarray(images[s:s + 256]))))
                       ["fc"] for s in range(0, len(images), 256)]).numpy()
    measured = egoequiv.evaluate(z, dataset=args.dataset, metrics=["equivariance"],
                                 config=load_config(overrides={"image_size": args.image_size,
                                                               "channels": 1}))
    print(f"held-out equivariance error of the learned features: "
          f"{measured['equivariance_error']:.3f} (1.0 = no change)")


if __name__ == "__main__":
    main()
