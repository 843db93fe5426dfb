"""Chapter 03's warm-up claim on nine seeds, more than the chapter can afford to run.

LeNet on the digits, Adam at a learning rate of 0.05, batches of 128, 12 epochs, per batch. With a linear
warm-up over the first 3 epochs no seed ends at chance level (final test accuracy at most 0.15, a uniform
guess scoring 0.1); without it most do (7 of these 9 by the chapter's earlier, training-loss measure). It trains 18 short runs; on a loaded 2-core CPU it took 4 minutes.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import lrlib
import lrlib.torch

SEEDS = (0, 1, 2, 5, 6, 7, 11, 12, 13)
LR, BATCH, EPOCHS, WARMUP_EPOCHS = 0.05, 128, 12, 3


@pytest.fixture(scope="module")
def final_accuracies():
    torch.set_num_threads(1)
    train_iter, test_iter = lrlib.course.data.load("digits", batch_size=BATCH)
    steps = WARMUP_EPOCHS * len(train_iter)
    schedules = {"cold": lrlib.constant(LR),
                 "warm": lrlib.warmup(lrlib.constant(LR), steps=steps, start_lr=LR / steps)}
    accuracies = {}
    for name, schedule in schedules.items():
        for seed in SEEDS:
            net = lrlib.course.models.lenet_torch(seed=seed)
            optimizer = torch.optim.Adam(net.parameters(), lr=schedule(0))
            history = lrlib.course.train(net, train_iter, test_iter, EPOCHS, nn.CrossEntropyLoss(), optimizer,
                                        schedule, per="batch", progress=False, live_plot=False, seed=seed)
            accuracies[name, seed] = history.test_acc[-1]
    return accuracies


def collapsed(test_acc: float) -> bool:
    """As in chapter 03: the run ended at chance level on the test set."""
    return test_acc <= 0.15


def test_with_warmup_no_seed_collapses(final_accuracies):
    assert not [seed for seed in SEEDS if collapsed(final_accuracies["warm", seed])]


def test_without_warmup_most_seeds_collapse(final_accuracies):
    assert sum(collapsed(final_accuracies["cold", seed]) for seed in SEEDS) >= 5
