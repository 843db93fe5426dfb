"""lrlib.data: the Fashion-MNIST downloader against a local HTTP server, the offline digits, and `load`."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from lrlib import data
from lrlib.data import _download, _fashion_mnist, _idx

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    """Each test starts without prepared arrays in memory and without dataset environment variables."""
    data._MEMORY.clear()
    for name in ("LRLIB_DATASET", "LRLIB_CACHE", "LRLIB_FASHION_MNIST_URL"):
        monkeypatch.delenv(name, raising=False)
    yield
    data._MEMORY.clear()


@pytest.fixture(scope="module")
def fake_fashion(tmp_path_factory):
    """Small IDX files in Fashion-MNIST's format, served at /good/, /corrupt/ and /truncated/."""
    rng = np.random.default_rng(0)
    arrays = {
        FILES[0]: rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        FILES[1]: rng.integers(0, 10, 40).astype(np.uint8),
        FILES[2]: rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        FILES[3]: rng.integers(0, 10, 12).astype(np.uint8),
    }
    root = tmp_path_factory.mktemp("served")
    blobs = {name: gzip.compress(_idx.encode_idx(array), mtime=0) for name, array in arrays.items()}
    for folder, damage in (("good", lambda b: b), ("corrupt", lambda b: b[:100] + bytes([b[100] ^ 0xFF]) + b[101:]),
                           ("truncated", lambda b: b[: len(b) // 2])):
        (root / folder).mkdir()
        for name, blob in blobs.items():
            (root / folder / name).write_bytes(damage(blob) if name == FILES[0] else blob)
    checksums = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    return root, arrays, checksums


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).requests.append(self.path)
        if self.path.startswith("/cut/"):  # announce the whole file, send half of it, hang up
            body = (Path(self.directory) / "good" / self.path.removeprefix("/cut/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(fake_fashion):
    root = fake_fashion[0]
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once, like an offline machine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _no_partial_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") for p in folder.rglob("*"))


def test_download_parses_the_served_files_and_verifies_them(tmp_path, server, fake_fashion):
    url, requests = server
    _, arrays, checksums = fake_fashion
    (x_train, y_train), (x_test, y_test) = data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/",
                                                      checksums=checksums)
    np.testing.assert_allclose(x_train, arrays[FILES[0]] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_train, arrays[FILES[1]])
    np.testing.assert_allclose(x_test, arrays[FILES[2]] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_test, arrays[FILES[3]])
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert sorted(requests) == sorted(f"/good/{name}" for name in FILES)
    for name, md5 in checksums.items():
        assert _download.md5sum(tmp_path / "fashion_mnist" / name) == md5
    assert _no_partial_files(tmp_path)


def test_cached_files_are_reused_without_a_second_request(tmp_path, server, fake_fashion):
    url, requests = server
    checksums = fake_fashion[2]
    first = data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums) is first
    data._MEMORY.clear()  # a new process: only the disk cache is left
    again = data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert len(requests) == len(FILES)
    np.testing.assert_array_equal(again[0][0], first[0][0])


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_a_damaged_cache_file_is_detected_and_fetched_again(tmp_path, server, fake_fashion, capsys, damage):
    url, requests = server
    checksums = fake_fashion[2]
    data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    cached = tmp_path / "fashion_mnist" / FILES[0]
    blob = cached.read_bytes()
    cached.write_bytes(blob[: len(blob) // 2] if damage == "truncated" else blob[:50] + b"\0" * 10 + blob[60:])
    data._MEMORY.clear()
    requests.clear()
    data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert requests == [f"/good/{FILES[0]}"]
    assert _download.md5sum(cached) == checksums[FILES[0]]
    assert "corrupt or truncated" in capsys.readouterr().out


@pytest.mark.parametrize("folder", ["corrupt", "truncated", "cut"])
def test_a_bad_download_raises_and_leaves_no_file(tmp_path, server, fake_fashion, folder):
    url, _ = server
    with pytest.raises(data.DatasetUnavailableError, match=FILES[0]) as info:
        data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/{folder}/", checksums=fake_fashion[2])
    assert ("connection closed after" if folder == "cut" else "MD5") in str(info.value)
    assert not (tmp_path / "fashion_mnist" / FILES[0]).exists()
    assert _no_partial_files(tmp_path)


def test_a_failed_download_keeps_the_previous_good_file(tmp_path, server, fake_fashion):
    url, _ = server
    target = tmp_path / "fashion_mnist" / FILES[0]
    with pytest.raises(data.DatasetUnavailableError):
        _download.download(f"{url}/corrupt/{FILES[0]}", target, fake_fashion[2][FILES[0]])
    _download.download(f"{url}/good/{FILES[0]}", target, fake_fashion[2][FILES[0]])
    with pytest.raises(data.DatasetUnavailableError):
        _download.download(f"{url}/cut/{FILES[0]}", target, fake_fashion[2][FILES[0]])
    assert _download.md5sum(target) == fake_fashion[2][FILES[0]]


def test_offline_explicit_request_gives_a_clear_error(tmp_path, closed_port_url):
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load("fashion_mnist", cache_dir=tmp_path, base_url=closed_port_url, framework="numpy")
    message = str(info.value)
    assert "cannot connect" in message and "offline" in message and "digits" in message
    assert str(tmp_path / "fashion_mnist") in message
    assert _no_partial_files(tmp_path)


def test_the_next_mirror_is_tried_when_one_fails(tmp_path, server, fake_fashion, closed_port_url, monkeypatch):
    url, requests = server
    monkeypatch.setattr(_fashion_mnist, "MIRRORS", (closed_port_url, f"{url}/good/"))
    data.arrays("fashion_mnist", cache_dir=tmp_path, checksums=fake_fashion[2])
    assert len(requests) == len(FILES)


def test_auto_uses_digits_when_fashion_mnist_is_unreachable(tmp_path, closed_port_url, capsys):
    (x_train, y_train), _ = data.load(cache_dir=tmp_path, base_url=closed_port_url, framework="numpy")
    assert len(x_train) + len(data.arrays("digits")[1][1]) == 1797
    out = capsys.readouterr().out
    assert "using scikit-learn digits" in out and "no mirror answered" in out


def test_auto_downloads_fashion_mnist_when_reachable_then_uses_the_cache(tmp_path, server, fake_fashion, capsys,
                                                                        closed_port_url):
    url, requests = server
    options = dict(cache_dir=tmp_path, base_url=f"{url}/good/", checksums=fake_fashion[2], framework="numpy")
    (x_train, _), _ = data.load(**options)
    assert x_train.shape == (40, 28, 28, 1)
    train_iter, _ = data.load(**{**options, "framework": "torch"})
    assert train_iter.dataset.name == "fashion_mnist" and train_iter.dataset.classes[-1] == "Ankle boot"
    assert "using Fashion-MNIST" in capsys.readouterr().out
    assert data.resolve(cache_dir=tmp_path, checksums=fake_fashion[2], base_url=closed_port_url) == (
        "fashion_mnist", f"auto: Fashion-MNIST is in the cache {tmp_path}")
    assert len(requests) == len(FILES)


def test_environment_variable_chooses_the_dataset(monkeypatch, capsys, tmp_path, closed_port_url):
    monkeypatch.setenv("LRLIB_DATASET", "digits")
    assert data.resolve() == ("digits", "from LRLIB_DATASET: 'digits'")
    data.load(framework="numpy")
    assert "LRLIB_DATASET" in capsys.readouterr().out
    monkeypatch.setenv("LRLIB_DATASET", "")  # empty means unset
    assert data.resolve(cache_dir=tmp_path, base_url=closed_port_url)[0] == "digits"
    monkeypatch.setenv("LRLIB_DATASET", "cifar10")
    with pytest.raises(ValueError, match="dataset name"):
        data.resolve()


def test_cache_directory_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.default_cache_dir() == tmp_path / ".cache" / "lrlib"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.default_cache_dir() == tmp_path / "xdg" / "lrlib"
    monkeypatch.setenv("LRLIB_CACHE", str(tmp_path / "mine"))
    assert data.default_cache_dir() == tmp_path / "mine"


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="mnist"), "dataset name"), (dict(framework="jax"), "framework"), (dict(layout="HWC"), "layout"),
    (dict(batch_size=0), "batch_size"), (dict(batch_size=2.5), "batch_size"),
    (dict(test_fraction=1.0), "test_fraction"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load(**{"name": "digits", **kwargs})


def test_idx_round_trip_and_rejection():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = _idx.encode_idx(array)
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    np.testing.assert_array_equal(_idx.parse_idx(raw), array)
    floats = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_array_equal(_idx.parse_idx(_idx.encode_idx(floats)), floats)
    with pytest.raises(_idx.IDXError, match="magic"):
        _idx.parse_idx(b"\x01" + raw[1:])
    with pytest.raises(_idx.IDXError, match="bytes"):
        _idx.parse_idx(raw[:-1])


def test_digits_shapes_layouts_and_range():
    (x_train, y_train), (x_test, y_test) = data.load("digits", framework="numpy")
    assert x_train.shape == (1347, 28, 28, 1) and x_test.shape == (450, 28, 28, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.max() > 0.9
    (nchw, _), _ = data.load("digits", framework="numpy", layout="NCHW")
    np.testing.assert_array_equal(nchw[:, 0], x_train[..., 0])


def test_digits_split_is_stratified_and_complete():
    from sklearn.datasets import load_digits

    (_, y_train), (_, y_test) = data.arrays("digits")
    overall = np.bincount(load_digits().target, minlength=10)
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10), overall)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - overall * 450 / 1797) <= 1)


def test_digits_upsampling_equals_torch_bilinear_interpolation():
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    images = load_digits().images[:20] / 16.0
    reference = torch.nn.functional.interpolate(torch.tensor(images)[:, None], size=(28, 28), mode="bilinear",
                                                align_corners=False)[:, 0].numpy()
    from lrlib.data import _digits

    np.testing.assert_allclose(_digits.resize(images), reference, atol=1e-12)


def test_digits_are_deterministic_and_shuffling_is_seeded():
    first = data.load("digits", 64, seed=1)
    again = data.load("digits", 64, seed=1)
    other = data.load("digits", 64, seed=2)
    batches = [next(iter(loaders[0])) for loaders in (first, again, other)]
    assert batches[0][0].shape == (64, 1, 28, 28)
    assert (batches[0][1] == batches[1][1]).all() and (batches[0][0] == batches[1][0]).all()
    assert not (batches[0][1] == batches[2][1]).all()
    test_labels = [np.concatenate([y.numpy() for _, y in loaders[1]]) for loaders in (first, other)]
    np.testing.assert_array_equal(test_labels[0], test_labels[1])  # the test set is never shuffled
    assert len(first[0].dataset) == 1347 and len(first[1].dataset) == 450
    assert first[0].dataset.name == first[1].dataset.name == "digits"
    assert first[0].dataset.classes == data.class_names("digits") == tuple("0123456789")


def test_loaded_arrays_are_copies_so_the_memory_cache_stays_intact():
    (x_train, _), _ = data.load("digits", framework="numpy")
    x_train[:] = -1.0
    (again, _), _ = data.load("digits", framework="numpy")
    assert again.min() >= 0.0
