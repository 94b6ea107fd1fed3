"""Image data modules. Every one keeps its images in memory as float tensors in [0, 1], (N, C, H, W); the task
normalises (so corruptions and adversarial epsilons live in pixel space). Splits are fixed and seeded, and the
test split is never used for model selection.

Sources: scikit-learn's digits (always there), Fashion-MNIST (Debian `dataset-fashion-mnist`), torchvision's
MNIST / CIFAR-10 files already in a folder, and any ImageFolder (see imagefolder.py).
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2 as v2
from torch.utils.data import DataLoader, Dataset

from zoo.trust.bounds import DATA_INTS, check_dataset, check_sizes

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def split_indices(n: int, fractions: tuple[float, float], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed, seeded train/val/test split of range(n): ``fractions`` are (val, test); the rest trains."""
    order = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(n * fractions[0]), round(n * fractions[1])
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]


class ImageTensors(Dataset):
    """(N, C, H, W) images in [0, 1] and (N,) labels, with an optional per-sample transforms.v2 pipeline."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform=None):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i]
        return (self.transform(x) if self.transform else x), self.labels[i]


class ImageDataModule(L.LightningDataModule):
    """Shared machinery: splits, optional resize, training subset, augmentation, loaders and the data ``spec``.

    Subclasses implement ``load()`` returning ``(train_x, train_y, test_x, test_y)`` (test may be None: then a test
    split is cut from the training data), images as float (N, C, H, W) in [0, 1].
    """

    name = "images"
    class_names: tuple[str, ...] = ()

    def __init__(self, batch_size: int = 128, val_fraction: float = 0.1, test_fraction: float = 0.15,
                 train_fraction: float = 1.0, image_size: int | None = None, augment: bool = True,
                 split_seed: int = 0, num_workers: int = 0, crop_padding: int = 2):
        """
        Args:
            batch_size: images per batch.
            val_fraction: share of the training data held out for validation (model selection).
            test_fraction: share cut for testing when the source has no official test split.
            train_fraction: use only this (seeded) share of the training split, e.g. 0.1 for fine-tuning studies.
            image_size: resize every image to this square size (e.g. 28 to feed digits to a Fashion-MNIST model).
            augment: horizontal flips during training where they keep the label, and random crops (see crop_padding).
            crop_padding: pad by this many pixels and crop back at a random offset (0: no crops).
            split_seed: seed of every split.
            num_workers: DataLoader workers.
        """
        super().__init__()
        # Sizes from a config file or a run's config.yaml, bounded before any image is read (zoo.trust.bounds).
        check_sizes({"batch_size": batch_size, "crop_padding": crop_padding, "num_workers": num_workers,
                     **({"image_size": image_size} if image_size is not None else {})}, DATA_INTS, "data")
        self.save_hyperparameters()
        self._loaded = False

    # -- to implement --------------------------------------------------------------------------
    def load(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        raise NotImplementedError

    flip_ok = True  # horizontal flips keep the label (clothes, objects; not digits)

    # -- machinery -----------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self._loaded:
            return
        hp = self.hparams
        x, y, test_x, test_y = self.load()
        if hp.image_size:  # the whole resized dataset within its bound, before resizing
            check_dataset(len(x) + (len(test_x) if test_x is not None else 0), x.shape[1], hp.image_size, "data")
            x = resize(x, hp.image_size)
            test_x = resize(test_x, hp.image_size) if test_x is not None else None
        test_share = 0.0 if test_x is not None else hp.test_fraction
        tr, va, te = split_indices(len(y), (hp.val_fraction, test_share), hp.split_seed)
        if test_x is None:
            test_x, test_y = x[te], y[te]
        if hp.train_fraction < 1.0:
            keep = np.random.default_rng(hp.split_seed + 1).permutation(len(tr))[: max(1, round(len(tr) * hp.train_fraction))]
            tr = tr[np.sort(keep)]
        self.train_x, self.train_y = x[tr], y[tr]
        self.val_x, self.val_y = x[va], y[va]
        self.test_x, self.test_y = test_x, test_y
        self._loaded = True

    @property
    def spec(self) -> dict:
        """What a model and `predict` need to know about the images (saved with the task's hyperparameters)."""
        self.setup()
        c = self.train_x.shape[1]
        dims = (0, 2, 3)
        return {"dataset": self.name, "class_names": list(self.class_names), "in_channels": int(c),
                "image_size": int(self.train_x.shape[-1]),
                "mean": self.train_x.mean(dims).tolist(), "std": self.train_x.std(dims).clamp_min(1e-3).tolist()}

    def train_transform(self):
        if not self.hparams.augment:
            return None
        size, pad = self.train_x.shape[-1], self.hparams.crop_padding
        steps = [v2.RandomCrop(size, padding=pad)] if pad else []
        if self.flip_ok:
            steps.append(v2.RandomHorizontalFlip())
        return v2.Compose(steps) if steps else None

    def _loader(self, ds: Dataset, shuffle: bool) -> DataLoader:
        return DataLoader(ds, batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=self.hparams.num_workers, persistent_workers=self.hparams.num_workers > 0)

    def train_dataloader(self):
        return self._loader(ImageTensors(self.train_x, self.train_y, self.train_transform()), True)

    def val_dataloader(self):
        return self._loader(ImageTensors(self.val_x, self.val_y), False)

    def test_dataloader(self):
        return self._loader(ImageTensors(self.test_x, self.test_y), False)

    def predict_dataloader(self):
        return self.test_dataloader()

    def card_data(self) -> dict:
        """What the model card says about the images (``zoo.save_pretrained``'s ``card``): here a source
        whose licence we do not know (a subclass that knows better says so)."""
        return {"dataset_name": self.name, "license": "other", "task": "image-classification"}

    def baseline(self) -> dict:
        """Multinomial logistic regression on raw pixels (up to 10,000 training images), same test split. Computed
        once per process for the same data (a sweep's trials share it: it took seconds of each trial)."""
        key = (type(self).__name__, *sorted((k, repr(v)) for k, v in self.hparams.items()
                                            if k not in ("batch_size", "num_workers")))
        if key not in _BASELINES:
            _BASELINES[key] = self._fit_baseline()
        return dict(_BASELINES[key])

    def _fit_baseline(self) -> dict:
        from sklearn.linear_model import LogisticRegression

        self.setup()
        n = min(len(self.train_y), 10_000)
        clf = LogisticRegression(max_iter=300).fit(self.train_x[:n].flatten(1).numpy(), self.train_y[:n].numpy())
        acc = float(clf.score(self.test_x.flatten(1).numpy(), self.test_y.numpy()))
        return {"name": "test_acc", "value": acc, "description": "logistic regression on pixels"}


_BASELINES: dict[tuple, dict] = {}  # ImageDataModule.baseline's answers in this process, by data settings


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


class DigitsDataModule(ImageDataModule):
    """scikit-learn's bundled digits (UCI optical recognition of handwritten digits): 1,797 8x8 images, 10 classes.
    No official test split: 15% is cut off with a fixed seed."""

    name, class_names, flip_ok = "digits", tuple(str(i) for i in range(10)), False

    def __init__(self, batch_size: int = 64, val_fraction: float = 0.15, test_fraction: float = 0.15,
                 train_fraction: float = 1.0, image_size: int | None = None, augment: bool = False,
                 split_seed: int = 0, num_workers: int = 0, crop_padding: int = 1):
        super().__init__(batch_size=batch_size, val_fraction=val_fraction, test_fraction=test_fraction,
                         train_fraction=train_fraction, image_size=image_size, augment=augment, split_seed=split_seed,
                         num_workers=num_workers, crop_padding=crop_padding)

    def load(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8) in [0, 1]
        return x, torch.tensor(digits.target, dtype=torch.int64), None, None

    def card_data(self) -> dict:
        """scikit-learn's copy of the UCI data set, CC BY 4.0 (README, "Data and credits")."""
        name = "scikit-learn digits (UCI handwritten digits)"
        return {**super().card_data(), "dataset_name": name, "license": "cc-by-4.0"}


FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz")


def default_fashion_root() -> str:
    return os.environ.get("FASHION_MNIST_ROOT", FASHION_DIR)


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file (the MNIST format, optionally gzipped) -> uint8 tensor; errors name the file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
        zero, dtype, ndim = struct.unpack(">HBB", data[:4])
        shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
        if zero != 0 or dtype != 0x08:
            raise ValueError(f"magic {data[:4].hex()} is not an IDX uint8 file")
        array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
        return torch.from_numpy(array.reshape(shape).copy())
    except (OSError, EOFError, ValueError, struct.error) as e:
        raise ValueError(f"{path}: cannot read it as an IDX image/label file: {e}") from e


class FashionMNISTDataModule(ImageDataModule):
    """Fashion-MNIST (Zalando, MIT licence): 60,000 training and 10,000 test 28x28 grey images of 10 clothes."""

    name, class_names = "fashion-mnist", FASHION_CLASSES

    def __init__(self, root: str | None = None, batch_size: int = 128, val_fraction: float = 0.1,
                 train_fraction: float = 1.0, image_size: int | None = None, augment: bool = True,
                 split_seed: int = 0, num_workers: int = 0, crop_padding: int = 2):
        """
        Args:
            root: folder with the four ``*-idx*-ubyte.gz`` files; default: $FASHION_MNIST_ROOT, else Debian's
                folder /usr/share/datasets/fashion-mnist.
        """
        self.root = Path(root or default_fashion_root())
        super().__init__(batch_size=batch_size, val_fraction=val_fraction, test_fraction=0.0,
                         train_fraction=train_fraction, image_size=image_size, augment=augment, split_seed=split_seed,
                         num_workers=num_workers, crop_padding=crop_padding)  # the source has its own test split

    @staticmethod
    def available(root: str | None = None) -> bool:
        return all((Path(root or default_fashion_root()) / f).is_file() for f in FASHION_FILES)

    def load(self):
        missing = [f for f in FASHION_FILES if not (self.root / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"Fashion-MNIST not found: looked in {self.root} for {', '.join(missing)}. Install it with "
                f"`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files land in {FASHION_DIR}), or "
                "download the four files from github.com/zalandoresearch/fashion-mnist and pass --data.root DIR.")
        tx, ty, vx, vy = (read_idx(self.root / f) for f in FASHION_FILES)
        return (tx.unsqueeze(1).float() / 255, ty.long(), vx.unsqueeze(1).float() / 255, vy.long())

    def card_data(self) -> dict:
        """Zalando's files, MIT licence; the same data is on the Hub as zalando-datasets/fashion_mnist."""
        return {**super().card_data(), "dataset_name": "Fashion-MNIST",
                "datasets": ["zalando-datasets/fashion_mnist"], "license": "mit"}


class TorchvisionDataModule(ImageDataModule):
    """torchvision's MNIST or CIFAR-10 files already present in ``root`` (nothing is downloaded)."""

    def __init__(self, root: str, dataset: str = "mnist", batch_size: int = 128, val_fraction: float = 0.1,
                 train_fraction: float = 1.0, image_size: int | None = None, augment: bool = True,
                 split_seed: int = 0, num_workers: int = 0, crop_padding: int = 2):
        """
        Args:
            root: the folder torchvision would download into (holding ``MNIST/raw`` or ``cifar-10-batches-py``).
            dataset: ``mnist`` or ``cifar10``.
        """
        if dataset not in ("mnist", "cifar10"):
            raise ValueError(f"dataset must be 'mnist' or 'cifar10'; got {dataset!r}")
        self.root, self.name = root, dataset
        self.class_names = tuple(str(i) for i in range(10)) if dataset == "mnist" else CIFAR10_CLASSES
        self.flip_ok = dataset == "cifar10"
        super().__init__(batch_size=batch_size, val_fraction=val_fraction, test_fraction=0.0,
                         train_fraction=train_fraction, image_size=image_size, augment=augment, split_seed=split_seed,
                         num_workers=num_workers, crop_padding=crop_padding)  # the source has its own test split

    def load(self):
        import torchvision.datasets as tvd

        cls = tvd.MNIST if self.name == "mnist" else tvd.CIFAR10
        try:
            train, test = (cls(self.root, train=t, download=False) for t in (True, False))
        except RuntimeError as e:
            raise FileNotFoundError(f"{self.name} files not found under {self.root} ({e}). Nothing is downloaded "
                                    f"here: copy torchvision's {self.name} files into that folder.") from e

        def tensors(ds):
            x = torch.as_tensor(np.asarray(ds.data))
            x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
            return x.float() / 255, torch.as_tensor(np.asarray(ds.targets)).long()

        return (*tensors(train), *tensors(test))

    def card_data(self) -> dict:
        """torchvision's files of a data set also on the Hub; we know the licence of neither (README, "Data
        and credits")."""
        hub_ids = {"mnist": ("MNIST", "ylecun/mnist"), "cifar10": ("CIFAR-10", "uoft-cs/cifar10")}
        name, hub_id = hub_ids[self.name]
        return {**super().card_data(), "dataset_name": name, "datasets": [hub_id]}
