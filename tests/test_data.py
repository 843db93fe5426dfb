"""lrlib.course.data: Fashion-MNIST through torchvision against a local HTTP server, the offline digits, and `load`."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from lrlib.course import data

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")
RAW = Path("fashion_mnist", "FashionMNIST", "raw")  # where the files go below the cache directory


def encode_idx(array: np.ndarray) -> bytes:
    """uint8 IDX bytes, the format MNIST and Fashion-MNIST are published in: magic, big-endian sizes, values."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


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
    blobs = {name: gzip.compress(encode_idx(array), mtime=0) for name, array in arrays.items()}
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
    assert set(requests) == {f"/good/{name}" for name in FILES}
    for name, checksum in checksums.items():
        assert md5(tmp_path / RAW / name) == checksum


def test_cached_files_are_reused_without_a_second_request(tmp_path, server, fake_fashion):
    url, requests = server
    checksums = fake_fashion[2]
    first = data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums) is first
    data._MEMORY.clear()  # a new process: only the disk cache is left
    downloaded = len(requests)
    again = data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert len(requests) == downloaded
    np.testing.assert_array_equal(again[0][0], first[0][0])


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_a_damaged_cache_file_is_detected_and_fetched_again(tmp_path, server, fake_fashion, capsys, damage):
    url, requests = server
    checksums = fake_fashion[2]
    data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    cached = tmp_path / RAW / FILES[0]
    blob = cached.read_bytes()
    cached.write_bytes(blob[: len(blob) // 2] if damage == "truncated" else blob[:50] + b"\0" * 10 + blob[60:])
    data._MEMORY.clear()
    requests.clear()
    data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/good/", checksums=checksums)
    assert set(requests) == {f"/good/{FILES[0]}"}
    assert md5(cached) == checksums[FILES[0]]
    assert "corrupt or truncated" in capsys.readouterr().out


def test_an_unreadable_extracted_file_is_extracted_again(tmp_path, server, fake_fashion, capsys):
    url, requests = server
    options = dict(cache_dir=tmp_path, base_url=f"{url}/good/", checksums=fake_fashion[2])
    first = data.arrays("fashion_mnist", **options)
    downloaded = len(requests)
    extracted = tmp_path / RAW / FILES[0].removesuffix(".gz")
    extracted.write_bytes(extracted.read_bytes()[:1000])
    data._MEMORY.clear()
    again = data.arrays("fashion_mnist", **options)
    np.testing.assert_array_equal(again[0][0], first[0][0])
    assert "unreadable" in capsys.readouterr().out and len(requests) == downloaded


def test_offline_request_gives_a_clear_error(tmp_path, closed_port_url):
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load("fashion_mnist", cache_dir=tmp_path, base_url=closed_port_url, framework="numpy")
    message = str(info.value)
    assert "refused" in message and "offline" in message and "LRLIB_DATASET=digits" in message
    assert str(tmp_path / "fashion_mnist") in message


@pytest.mark.parametrize("folder", ["corrupt", "truncated", "cut"])
def test_a_bad_download_raises_and_names_the_checksum(tmp_path, server, fake_fashion, folder):
    url, _ = server
    with pytest.raises(data.DatasetUnavailableError, match="corrupted"):
        data.arrays("fashion_mnist", cache_dir=tmp_path, base_url=f"{url}/{folder}/", checksums=fake_fashion[2])


def test_mirror_from_the_environment(tmp_path, server, fake_fashion, monkeypatch):
    url, requests = server
    monkeypatch.setenv("LRLIB_FASHION_MNIST_URL", f"{url}/good")  # no trailing slash
    (x_train, _), _ = data.arrays("fashion_mnist", cache_dir=tmp_path, checksums=fake_fashion[2])
    assert x_train.shape == (40, 28, 28) and set(requests) == {f"/good/{name}" for name in FILES}


def test_environment_variable_chooses_the_dataset(monkeypatch, capsys, server, fake_fashion, tmp_path):
    assert data.resolve()[0] == "digits"  # the default, with no download attempted
    monkeypatch.setenv("LRLIB_DATASET", "")  # empty means unset
    assert data.resolve()[0] == "digits"
    monkeypatch.setenv("LRLIB_DATASET", "Fashion-MNIST")
    assert data.resolve() == ("fashion_mnist", "from LRLIB_DATASET: 'Fashion-MNIST'")
    url, _ = server
    train_iter, _ = data.load(cache_dir=tmp_path, base_url=f"{url}/good/", checksums=fake_fashion[2])
    assert train_iter.dataset.name == "fashion_mnist" and train_iter.dataset.classes[-1] == "Ankle boot"
    assert "using Fashion-MNIST" in capsys.readouterr().out
    monkeypatch.setenv("LRLIB_DATASET", "cifar10")
    with pytest.raises(ValueError, match="dataset name"):
        data.resolve()


def test_caps_draw_a_fixed_stratified_subset():
    (x_full, y_full), (_, y_test_full) = data.load("digits", framework="numpy")
    (x_sub, y_sub), (_, y_test) = data.load("digits", framework="numpy", max_train=500, max_test=100)
    assert len(y_sub) == 500 and len(y_test) == 100
    full_share, sub_share = (np.bincount(y, minlength=10) / len(y) for y in (y_full, y_sub))
    assert np.abs(full_share - sub_share).max() < 0.01  # stratified
    rows = {row.tobytes() for row in x_full.reshape(len(x_full), -1)}
    assert all(row.tobytes() in rows for row in x_sub.reshape(500, -1))  # a subset of the training images
    (again, _), _ = data.load("digits", framework="numpy", max_train=500)
    np.testing.assert_array_equal(again, x_sub)  # fixed by split_seed, whatever the shuffling seed
    (_, y_all), _ = data.load("digits", framework="numpy", max_train=10**6)
    np.testing.assert_array_equal(y_all, y_full)
    assert len(y_test_full) == 450


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
    (dict(test_fraction=1.0), "test_fraction"), (dict(max_train=0), "max_train"),
    (dict(max_test=True), "max_test"), (dict(max_train=2.0), "max_train"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load(**{"name": "digits", **kwargs})


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
    from lrlib.course.data import _digits

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
