"""Data modules: fixed splits, clear errors for missing data and bad files, ImageFolder from a folder or a tar."""

import tarfile
from pathlib import Path

import pytest
import torch

from apps.vision.data import DigitsDataModule, FashionMNISTDataModule, TorchvisionDataModule, read_idx
from apps.vision.imagefolder import ImageFolderDataModule
from tests.apps.vision.images import make_folder

SHARED_CIFAR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "images" / "cifar10-test-jpg.tar.gz"


@pytest.mark.parametrize("cls", [DigitsDataModule, FashionMNISTDataModule, TorchvisionDataModule,
                                 ImageFolderDataModule])
def test_every_subclass_hands_its_base_arguments_on_by_name(cls):
    base = dict(batch_size=7, val_fraction=0.11, train_fraction=0.5, image_size=12, augment=False, split_seed=3,
                num_workers=0, crop_padding=5)
    dm = cls(**({"root": "unused"} if cls in (TorchvisionDataModule, ImageFolderDataModule) else {}), **base)
    assert {k: dm.hparams[k] for k in base} == base


def test_image_folder_loads_resizes_and_splits(tmp_path):
    dm = ImageFolderDataModule(str(make_folder(tmp_path / "imgs")), image_size=16, val_fraction=0.25,
                               test_fraction=0.25)
    dm.setup()
    assert dm.class_names == ("cat", "dog") and dm.train_x.shape[1:] == (3, 16, 16)
    assert len(dm.train_y) + len(dm.val_y) + len(dm.test_y) == 12
    assert dm.spec["class_names"] == ["cat", "dog"] and dm.spec["in_channels"] == 3


def test_corrupt_or_non_image_file_is_named(tmp_path):
    root = make_folder(tmp_path / "imgs")
    (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (root / "dog" / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=r"broken\.jpg: not a readable image.*skip_bad"):
        ImageFolderDataModule(str(root)).setup()
    dm = ImageFolderDataModule(str(root), skip_bad=True)
    with pytest.warns(UserWarning, match=r"skipping .*(broken\.jpg|notes\.txt)"):
        dm.setup()
    assert len(dm.train_y) + len(dm.val_y) + len(dm.test_y) == 12


def test_image_folder_from_a_tar_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    make_folder(tmp_path / "src" / "test")
    archive = tmp_path / "imgs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "test", arcname="test")
    dm = ImageFolderDataModule(str(archive), image_size=8)
    dm.setup()
    assert dm.class_names == ("cat", "dog")


@pytest.mark.skipif(not SHARED_CIFAR.is_file(), reason="../shared/data/images (CIFAR-10 test JPEGs) is not here")
def test_real_cifar10_jpegs(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    dm = ImageFolderDataModule(str(SHARED_CIFAR), image_size=32, train_fraction=0.1)
    dm.setup()
    assert dm.class_names[0] == "airplane" and len(dm.class_names) == 10
    assert len(dm.test_y) == 2000 and dm.train_x.shape[1:] == (3, 32, 32)


def test_missing_fashion_mnist_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"looked in {tmp_path}.*apt-get install dataset-fashion-mnist"):
        FashionMNISTDataModule(root=str(tmp_path)).setup()


def test_missing_torchvision_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist files not found under"):
        TorchvisionDataModule(str(tmp_path), "mnist").setup()


def test_corrupt_idx_file_is_named(tmp_path):
    bad = tmp_path / "train-images-idx3-ubyte.gz"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: cannot read it as an IDX"):
        read_idx(bad)


@pytest.mark.skipif(not FashionMNISTDataModule.available(), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist():
    dm = FashionMNISTDataModule(train_fraction=0.05)
    dm.setup()
    assert len(dm.test_y) == 10_000 and len(dm.val_y) == 6_000 and len(dm.train_y) == 2_700
    assert dm.train_x.shape[1:] == (1, 28, 28) and 0 <= dm.train_x.min() and dm.train_x.max() <= 1
    assert torch.bincount(dm.test_y).tolist() == [1000] * 10


def test_the_pixel_baseline_is_fitted_once_per_data_setting(monkeypatch):
    from apps.vision import data as vision_data

    fits = []
    monkeypatch.setattr(vision_data, "_BASELINES", {})
    monkeypatch.setattr(DigitsDataModule, "_fit_baseline",
                        lambda self: fits.append(self.hparams.train_fraction) or {"name": "test_acc", "value": 0.5})
    assert DigitsDataModule(batch_size=32).baseline() == DigitsDataModule(batch_size=256).baseline()
    DigitsDataModule(train_fraction=0.5).baseline()
    assert fits == [1.0, 0.5]  # batch size does not change the data; the training share does
