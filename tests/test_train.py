"""lrlib.course.train and History: every scheduler kind, per epoch and per batch, against PyTorch's own."""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.optim import lr_scheduler  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import lrlib  # noqa: E402
from lrlib.course import data, models  # noqa: E402
from lrlib.course import History, train  # noqa: E402
from lrlib.course import device as best_device  # noqa: E402

BATCHES = 3  # batches per epoch of the tiny training set
EPOCHS = 2


@pytest.fixture(autouse=True)
def headless(monkeypatch):
    monkeypatch.setenv("LRLIB_INTERACTIVE", "0")
    torch.set_num_threads(1)


def tiny_data(seed: int = 0):
    """96 training and 48 test digits in batches of 32: a few milliseconds per epoch."""
    (x_train, y_train), (x_test, y_test) = data.arrays("digits")
    train_set = TensorDataset(torch.tensor(x_train[:96, None]), torch.tensor(y_train[:96]))
    test_set = TensorDataset(torch.tensor(x_test[:48, None]), torch.tensor(y_test[:48]))
    return (DataLoader(train_set, 32, shuffle=True, generator=torch.Generator().manual_seed(seed)),
            DataLoader(test_set, 32))


def run(make_scheduler=None, *, lr=0.1, epochs=EPOCHS, **kwargs):
    """Train a seeded LeNet; `make_scheduler(optimizer)` builds the scheduler. Returns (history, net, optimizer)."""
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    train_iter, test_iter = tiny_data()
    history = train(net, train_iter, test_iter, epochs, nn.CrossEntropyLoss(), optimizer, scheduler,
                    progress=False, device="cpu", **kwargs)
    return history, net, optimizer


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_history_contents_without_a_scheduler(capsys):
    history, _, _ = run(log_batches=True)
    assert history.epochs == EPOCHS and history.per == "epoch" and history.device == "cpu"
    for metric in ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"):
        assert len(getattr(history, metric)) == EPOCHS
    assert history.lr == [0.1, 0.1] and history.batch_lr == [0.1] * (BATCHES * EPOCHS)
    assert len(history.batch_loss) == len(history.batch_acc) == BATCHES * EPOCHS
    assert all(0.0 <= a <= 1.0 for a in history.train_acc + history.test_acc + history.batch_acc)
    # the epoch's train loss is the example-weighted mean of its batch losses (all batches hold 32 examples)
    assert history.train_loss[0] == pytest.approx(np.mean(history.batch_loss[:BATCHES]))
    assert history.final["gap"] == pytest.approx(history.train_acc[-1] - history.test_acc[-1])
    assert history.best_test_acc == max(history.test_acc)
    assert history.summary() in capsys.readouterr().out
    restored = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored == history


def test_evaluation_matches_a_manual_pass():
    history, net, _ = run()
    _, test_iter = tiny_data()
    assert lrlib.course.evaluate(net, test_iter, nn.CrossEntropyLoss()) == (history.test_loss[-1], history.test_acc[-1])
    with torch.no_grad():
        logits = torch.cat([net(x) for x, _ in test_iter])
        labels = torch.cat([y for _, y in test_iter])
    assert history.test_acc[-1] == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    assert history.test_loss[-1] == pytest.approx(float(nn.functional.cross_entropy(logits, labels)), rel=1e-5)


def test_training_is_deterministic():
    first, net_a, _ = run(lambda opt: lr_scheduler.StepLR(opt, 1, 0.5))
    second, net_b, _ = run(lambda opt: lr_scheduler.StepLR(opt, 1, 0.5))
    assert first.to_dict() | {"seconds": []} == second.to_dict() | {"seconds": []}
    assert same_weights(net_a, net_b)


def test_seed_replays_the_same_batches_on_reused_loaders():
    """Notebooks train several models on one pair of loaders; with a seed each run sees the same batches."""
    train_iter, test_iter = tiny_data()
    runs = []
    for _ in range(2):
        net = models.lenet_torch(0)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        runs.append(train(net, train_iter, test_iter, EPOCHS, nn.CrossEntropyLoss(), optimizer, progress=False,
                          seed=3, log_batches=True))
    assert runs[0].batch_loss == runs[1].batch_loss
    net = models.lenet_torch(0)
    unseeded = train(net, train_iter, test_iter, EPOCHS, nn.CrossEntropyLoss(),
                     torch.optim.SGD(net.parameters(), lr=0.1), progress=False, log_batches=True)
    assert unseeded.batch_loss != runs[0].batch_loss  # the generator moved on: different batches


@pytest.mark.parametrize("per", ["epoch", "batch"])
def test_builtin_scheduler_callable_and_lrlib_schedule_train_identically(per):
    """StepLR(1, 0.5), the function t -> 0.1 * 0.5**t and lrlib.step(0.1, 1, 0.5) are the same schedule."""
    by_torch, net_torch, _ = run(lambda opt: lr_scheduler.StepLR(opt, 1, 0.5), per=per, log_batches=True)
    by_function, net_function, _ = run(lambda opt: (lambda t: 0.1 * 0.5**t), per=per, log_batches=True)
    by_lrlib, net_lrlib, _ = run(lambda opt: lrlib.step(0.1, 1, 0.5), per=per, log_batches=True)
    steps = EPOCHS if per == "epoch" else EPOCHS * BATCHES
    expected = [0.1 * 0.5**t for t in range(steps)]
    used = by_torch.lr if per == "epoch" else by_torch.batch_lr
    np.testing.assert_allclose(used, expected, rtol=1e-12)
    for other in (by_function, by_lrlib):
        np.testing.assert_allclose(other.batch_lr, by_torch.batch_lr, rtol=1e-12)
        np.testing.assert_allclose(other.train_loss, by_torch.train_loss, rtol=1e-6)
    assert same_weights(net_torch, net_function)


def test_per_batch_scheduler_steps_once_per_batch():
    _, _, optimizer = run(lambda opt: lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=10),
                          per="batch")
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * (1 - EPOCHS * BATCHES / 10))


def test_reduce_on_plateau_follows_the_monitored_metric():
    """Replaying the recorded metric into a fresh ReduceLROnPlateau reproduces the LRs train() used."""
    settings = dict(mode="min", factor=0.5, patience=0, threshold=0.5)
    history, _, _ = run(lambda opt: lr_scheduler.ReduceLROnPlateau(opt, **settings), epochs=4, monitor="train_loss")
    replay_opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    replay = lr_scheduler.ReduceLROnPlateau(replay_opt, **settings)
    expected = []
    for loss in history.train_loss:
        expected.append(replay_opt.param_groups[0]["lr"])
        replay.step(loss)
    assert history.lr == pytest.approx(expected)
    assert history.lr[-1] < history.lr[0]  # the strict threshold makes it decay


def test_reduce_on_plateau_mode_max_watches_test_accuracy_by_default(monkeypatch):
    seen = []
    original = lr_scheduler.ReduceLROnPlateau.step
    monkeypatch.setattr(lr_scheduler.ReduceLROnPlateau, "step", lambda self, m: (seen.append(m), original(self, m)))
    history, _, _ = run(lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="max"))
    assert seen == history.test_acc


def test_lrlib_schedule_with_momentum_drives_momentum_when_the_adapter_exists():
    pytest.importorskip("lrlib.torch._scheduler")
    steps = EPOCHS * BATCHES
    schedule = lrlib.one_cycle(0.2, total_steps=steps + 1)
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    train_iter, test_iter = tiny_data()
    history = train(net, train_iter, test_iter, EPOCHS, nn.CrossEntropyLoss(), optimizer, schedule, per="batch",
                    progress=False, log_batches=True)
    np.testing.assert_allclose(history.batch_lr, schedule(np.arange(steps)), rtol=1e-9)
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(schedule.momentum(steps))


def test_unreduced_loss_trains_like_the_mean():
    reduced, _, _ = run()
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    unreduced = train(net, *tiny_data(), EPOCHS, nn.CrossEntropyLoss(reduction="none"), optimizer, progress=False)
    np.testing.assert_allclose(unreduced.train_loss, reduced.train_loss, rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_epochs=0), ValueError, "num_epochs"),
    (dict(per="step"), ValueError, "per"),
    (dict(monitor="val_loss"), ValueError, "monitor"),
    (dict(scheduler="cosine"), TypeError, "scheduler"),
    (dict(scheduler=lambda t: -0.1), ValueError, "finite and >= 0"),
    (dict(scheduler=lambda t: math.nan), ValueError, "finite and >= 0"),
])
def test_bad_arguments_are_rejected(kwargs, error, match):
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    args = {"num_epochs": 1, **kwargs}
    with pytest.raises(error, match=match):
        train(net, *tiny_data(), args.pop("num_epochs"), nn.CrossEntropyLoss(), optimizer, progress=False, **args)


def test_scheduler_must_drive_the_same_optimizer_and_plateau_needs_epochs():
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    stranger = lr_scheduler.StepLR(torch.optim.SGD(models.lenet_torch(1).parameters(), lr=0.1), 1)
    with pytest.raises(ValueError, match="different optimizer"):
        train(net, *tiny_data(), 1, nn.CrossEntropyLoss(), optimizer, stranger, progress=False)
    with pytest.raises(ValueError, match="per='epoch'"):
        train(net, *tiny_data(), 1, nn.CrossEntropyLoss(), optimizer, lr_scheduler.ReduceLROnPlateau(optimizer),
              per="batch", progress=False)


def test_static_plot_is_one_figure_and_progress_bar_is_optional(capsys):
    before = set(plt.get_fignums())
    history, _, _ = run(live_plot=True)
    new = set(plt.get_fignums()) - before
    assert len(new) == 1  # drawn once, at the end
    left, right = plt.figure(new.pop()).axes
    assert len(left.lines) == 3 and list(right.lines[0].get_ydata()) == history.lr
    plt.close("all")
    net = models.lenet_torch(0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    train(net, *tiny_data(), 1, nn.CrossEntropyLoss(), optimizer, progress=True)
    assert "batch" in capsys.readouterr().err  # tqdm's bar, counting batches
    run(live_plot=None)
    assert set(plt.get_fignums()) == set()  # outside a notebook there is no plot unless asked for


def test_device_picks_an_available_accelerator():
    chosen = best_device()
    if torch.cuda.is_available():
        assert chosen.type == "cuda"
    elif torch.backends.mps.is_available():
        assert chosen.type == "mps"
    else:
        assert chosen == torch.device("cpu")


def test_live_plot_is_one_display_updated_in_place(monkeypatch):
    """Under a live front end the figure is displayed once, then updated through its display handle."""
    import types

    monkeypatch.setenv("LRLIB_INTERACTIVE", "1")
    shown, updates = [], []
    handle = types.SimpleNamespace(update=updates.append)
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, display_id=None: (shown.append(obj), handle)[1] if display_id else shown.append(obj))
    run(epochs=3, live_plot=True)
    assert len(shown) == 1 and len(updates) == 2 and updates[-1] is shown[0]
    assert len(shown[0].axes[0].lines) == 3 and len(shown[0].axes[0].lines[0].get_xdata()) == 3
    assert plt.get_fignums() == []  # closed after training, so the inline backend does not repeat it


def test_holdout_splits_disjointly_reproducibly_and_keeps_the_batch_size():
    dataset = torch.utils.data.TensorDataset(torch.arange(100.0)[:, None], torch.zeros(100, dtype=torch.long))
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True)
    fit_iter, val_iter = lrlib.course.holdout(loader, fraction=0.2, seed=3)
    fit = sorted(int(x) for X, _ in fit_iter for x in X[:, 0])
    val = [int(x) for X, _ in val_iter for x in X[:, 0]]
    assert len(val) == 20 and sorted(fit + val) == list(range(100))
    assert fit_iter.batch_size == 8
    again = [int(x) for X, _ in lrlib.course.holdout(loader, fraction=0.2, seed=3)[1] for x in X[:, 0]]
    assert again == val


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"fraction": 0.0}, "fraction must be in"), ({"fraction": 1.5}, "fraction must be in"),
    ({"fraction": 0.001}, "leaves an empty part"), ({"val_batch_size": 0}, "val_batch_size must be"),
])
def test_holdout_rejects_bad_arguments_by_name(kwargs, message):
    dataset = torch.utils.data.TensorDataset(torch.zeros(10, 1), torch.zeros(10, dtype=torch.long))
    with pytest.raises(ValueError, match=message):
        lrlib.course.holdout(torch.utils.data.DataLoader(dataset, batch_size=2), **kwargs)
