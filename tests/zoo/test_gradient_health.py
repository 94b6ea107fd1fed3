"""GradientHealth flags a badly initialised deep plain net and not a ResNet of the same depth."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import zoo
from zoo.callbacks import GradientHealth, diagnose, layer_grad_norms
from zoo.task import ClassificationTask

from .helpers import BlobsDataModule, quiet_trainer

DEPTH = 24  # conv layers; the ResNet gets DEPTH // 2 blocks of two convs each


def bad_init(model: nn.Module, std: float) -> nn.Module:
    """Small fixed-std weights, ignoring fan-in: the textbook way to make a deep net's signal die."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def grad_verdict(model: nn.Module, size: int = 8) -> tuple[str, str]:
    x, y = torch.randn(16, 1, size, size), torch.randint(0, 3, (16,))
    F.cross_entropy(model(x), y).backward()
    return diagnose(layer_grad_norms(model))


def test_deep_plain_net_with_bad_init_vanishes_but_resnet_does_not():
    plain = bad_init(zoo.create_model("cnn_small", in_channels=1, num_outputs=3, depth=DEPTH, norm="none"), 0.05)
    verdict, detail = grad_verdict(plain)
    assert verdict == "vanishing" and "layers." in detail  # names the layer

    resnet = bad_init(zoo.create_model("resnet_small", in_channels=1, num_outputs=3, depth=DEPTH // 2), 0.05)
    convs = sum(isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) for m in resnet.modules())
    assert convs == DEPTH + 1  # same depth: 24 convs in blocks (+ stem)
    assert grad_verdict(resnet)[0] == "healthy"


def test_a_good_init_fixes_the_plain_net():
    # 32x32 inputs: on 8x8 ones the deep layers see a 1x1 grid, where a 3x3 kernel's fan-in is really 1/9 of the
    # count Kaiming assumes, so even Kaiming fails there (data decides which init is right).
    plain = zoo.init_weights(zoo.create_model("cnn_small", in_channels=1, num_outputs=3, depth=DEPTH, norm="none"),
                             "kaiming")
    assert grad_verdict(plain, size=32)[0] == "healthy"


def test_large_init_explodes():
    plain = bad_init(zoo.create_model("cnn_small", in_channels=1, num_outputs=3, depth=12, norm="none"), 0.5)
    assert grad_verdict(plain)[0] == "exploding"


def test_callback_warns_naming_the_layer_and_plots(tmp_path):
    task = ClassificationTask(model="cnn_small", model_kwargs=dict(in_channels=1, num_outputs=3, depth=DEPTH,
                                                                   norm="none"))
    bad_init(task.model, 0.05)
    health = GradientHealth(every_n_steps=1, log_norms=False, run_dir=tmp_path)
    trainer = quiet_trainer(max_steps=2, limit_val_batches=0, callbacks=[health], default_root_dir=tmp_path)
    with pytest.warns(UserWarning, match=r"vanishing gradients at step 0: gradient norm of model\.layers\.\d+"):
        trainer.fit(task, datamodule=BlobsDataModule())
    assert [v for _, v, _ in health.verdicts] == ["vanishing", "vanishing"]
    assert (tmp_path / "plots" / "gradient_norms.png").stat().st_size > 1000


def test_callback_stays_quiet_on_a_resnet(recwarn, tmp_path):
    task = ClassificationTask(model="resnet_small", model_kwargs=dict(in_channels=1, num_outputs=3,
                                                                      depth=DEPTH // 2))
    bad_init(task.model, 0.05)
    health = GradientHealth(every_n_steps=1, log_norms=False, plot=False)  # no run_dir: writes nothing
    quiet_trainer(max_steps=3, limit_val_batches=0, callbacks=[health]).fit(task, datamodule=BlobsDataModule())
    assert [v for _, v, _ in health.verdicts] == ["healthy"] * 3
    assert not [w for w in recwarn if "GradientHealth" in str(w.message)]


def test_without_a_run_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    task = ClassificationTask(model="cnn_small", model_kwargs=dict(in_channels=1, num_outputs=3))
    health = GradientHealth(every_n_steps=1, log_norms=False)
    quiet_trainer(max_steps=2, limit_val_batches=0, callbacks=[health]).fit(task, datamodule=BlobsDataModule())
    assert health.history and not list(tmp_path.iterdir())


def test_a_foreign_gradient_health_file_is_refused_clearly(tmp_path):
    from zoo.callbacks import read_gradient_health
    from zoo.errors import InputError

    path = tmp_path / "gradient_health.json"
    path.write_text('{"checks": [{"step": 0, "norms": {"class_path": "os.system"}}]}')
    with pytest.raises(InputError, match=r"gradient_health.json.checks\[0\].norms.class_path: a class to import .* refused, nothing was imported"):
        read_gradient_health(path)
    path.write_text('{"checks": [{"step": 3, "norms": [["layer.weight", 0.5]]}]}')
    assert read_gradient_health(path) == [{"step": 3, "norms": [("layer.weight", 0.5)]}]
    assert read_gradient_health(tmp_path / "missing.json") == []
