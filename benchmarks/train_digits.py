"""Cost of one LeNet epoch on the offline digits with lrlib.course.train, and what a few LRs reach in 10 epochs.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_digits.py
Prints seconds per epoch (median over the epochs) and the final metrics per (batch size, LR), so notebook
authors can budget their < 60 s and pick settings that learn on this data.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

import lrlib

EPOCHS = 10


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    lrlib.course.data.load("digits", framework="numpy")
    print(f"first digits load (scikit-learn import, resize, split): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    lrlib.course.data.load("digits", 256)
    print(f"repeated digits load as DataLoaders (arrays cached in memory): {time.perf_counter() - start:.3f} s")
    for batch_size in (256, 64):
        for lr in (0.1, 0.3, 0.9):
            train_iter, test_iter = lrlib.course.data.load("digits", batch_size, seed=0)
            net = lrlib.course.models.lenet_torch(0)
            optimizer = torch.optim.SGD(net.parameters(), lr=lr)
            history = lrlib.course.train(net, train_iter, test_iter, EPOCHS, nn.CrossEntropyLoss(), optimizer,
                                        progress=False, live_plot=False)
            print(f"batch {batch_size:3d}, lr {lr:.1f}: {statistics.median(history.seconds):.3f} s/epoch "
                  f"({len(train_iter)} batches), after {EPOCHS} epochs {history.summary()}")


if __name__ == "__main__":
    main()
