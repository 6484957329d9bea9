"""Train the demo network and write ``models/weights/digits-demo.safetensors``.

Run ``python -m dsrs_models.train_digits`` (CPU, about half a minute). Deterministic: fixed
seed, single thread, full-batch order drawn from a seeded generator, so rerunning
reproduces the shipped file byte for byte on the same torch build (torch 2.14.1, CPU).

Training: the digits train split (:func:`dsrs_models.demo.demo_dataset`), Gaussian noise
augmentation at ``DEMO_SIGMA`` on inputs in [0, 1] (the noise the demo certifies with;
Cohen et al. 2019 §4 train this way), Adam, cross-entropy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from dsrs_models.demo import DEMO_ARCHITECTURE, DEMO_SIGMA, DEMO_WEIGHTS_PATH, demo_dataset
from dsrs_models.registry import build_model

__all__ = ["main", "noisy_accuracy", "train_demo_model"]

SEED = 20221
EPOCHS = 300
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
#: Noisy copies of each training image per epoch (more noise draws per step).
NOISE_COPIES = 4


def train_demo_model(seed: int = SEED, epochs: int = EPOCHS) -> nn.Module:
    """Train the demo network from scratch; returns the model in eval mode."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x_np, y_np = demo_dataset("train")
    x = torch.from_numpy(x_np).repeat(NOISE_COPIES, 1, 1, 1)
    y = torch.from_numpy(y_np).repeat(NOISE_COPIES)
    model = build_model(DEMO_ARCHITECTURE)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            noise = torch.randn(x[index].shape, generator=generator) * DEMO_SIGMA
            loss = loss_fn(model(x[index] + noise), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    return model.eval()


def noisy_accuracy(model: nn.Module, split: str = "test", copies: int = 20, seed: int = 0) -> float:
    """Accuracy of ``model`` on ``split`` under N(0, DEMO_SIGMA² I) noise (Monte Carlo)."""
    generator = torch.Generator().manual_seed(seed)
    x_np, y_np = demo_dataset(split)  # type: ignore[arg-type]
    x = torch.from_numpy(x_np).repeat(copies, 1, 1, 1)
    y = torch.from_numpy(y_np).repeat(copies)
    with torch.inference_mode():
        noise = torch.randn(x.shape, generator=generator) * DEMO_SIGMA
        return float((model(x + noise).argmax(1) == y).float().mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEMO_WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = train_demo_model(args.seed, args.epochs)
    state = {key: value.contiguous() for key, value in model.network.state_dict().items()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # One metadata entry: safetensors writes a map's keys in arbitrary order, and a single
    # key keeps the file byte-identical across runs.
    provenance = json.dumps(
        {
            "architecture": DEMO_ARCHITECTURE,
            "sigma": DEMO_SIGMA,
            "seed": args.seed,
            "epochs": args.epochs,
        },
        sort_keys=True,
    )
    save_file(state, str(args.output), metadata={"provenance": provenance})
    with torch.inference_mode():
        x_np, y_np = demo_dataset("test")
        clean = float(
            (model(torch.from_numpy(x_np)).argmax(1) == torch.from_numpy(y_np)).float().mean()
        )
    print(f"wrote {args.output}")
    print(
        f"test accuracy: clean {clean:.4f}, under noise sigma={DEMO_SIGMA}: "
        f"{noisy_accuracy(model):.4f}"
    )


if __name__ == "__main__":
    main()
