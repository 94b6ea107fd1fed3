"""VisionTask: evaluation outputs, saved/reloaded predictions, classify/evaluate commands, fine-tuning."""

import json

import pytest
import torch

import zoo
from apps.vision.app import APP
from apps.vision.evaluation import evaluate
from apps.vision.task import VisionTask
from tests.zoo.helpers import quiet_trainer


def test_evaluate_writes_every_table_and_plot(trained_digits_task, digits, tmp_path):
    result = evaluate(trained_digits_task, digits.test_x, digits.test_y, [str(i) for i in range(10)], tmp_path,
                      max_samples=100, cache=tmp_path / "cache")
    for plot in ("confusion_matrix", "misclassified", "reliability", "corruption_severity", "adversarial",
                 "adversarial_example"):
        assert (tmp_path / "plots" / f"{plot}.png").stat().st_size > 5000, plot
    tables = json.loads((tmp_path / "evaluation.json").read_text())
    assert set(tables["per_class_accuracy"]) == {str(i) for i in range(10)}
    assert set(tables["corruption_accuracy"]) == {"gaussian_noise", "gaussian_blur", "brightness", "contrast", "jpeg",
                                                  "elastic"}
    assert all(len(v) == 5 for v in tables["corruption_accuracy"].values())
    assert set(tables["adversarial_accuracy"]) == {"eps1", "eps2", "eps4", "eps8", "eps16"}
    assert sum(map(sum, tables["confusion_matrix"])) == len(digits.test_y)
    m = result["metrics"]
    assert 0 <= m["test_ece"] < 0.2 and 0 < m["corruption_acc_mean"] < tables["test_accuracy"]


def test_saved_and_reloaded_model_predicts_identically(trained_digits_task, digits, tmp_path):
    folder = zoo.save_pretrained(trained_digits_task.model, tmp_path / "m")
    reloaded = VisionTask(model="cnn_small", init_from=str(folder), data_spec=digits.hparams and digits.spec).eval()
    x = digits.test_x[:50]
    with torch.no_grad():
        assert torch.equal(reloaded(x), trained_digits_task(x))


def test_data_spec_fills_model_arguments_and_explicit_ones_win(digits):
    task = VisionTask(model="lstm_small", data_spec=digits.spec)
    assert task.model.config["in_kind"] == "image" and task.model.config["image_size"] == 8
    assert task.model.config["num_outputs"] == 10 and task.model.config["in_channels"] == 1
    task = VisionTask(model="cnn_small", data_spec=digits.spec, model_kwargs={"num_outputs": 4})
    assert task.model.config["num_outputs"] == 4


def test_wrong_channel_count_for_a_model_says_what_it_expects(digits):
    task = VisionTask(model="resnet_small", data_spec=digits.spec)
    task.register_buffer("mean", torch.zeros(3, 1, 1))  # pretend the images were colour
    task.register_buffer("std", torch.ones(3, 1, 1))
    with pytest.raises(ValueError, match=r"expects \(B, C, H, W\) float with 1 channels.*in_channels=3"):
        task(torch.rand(2, 3, 8, 8))


def test_wrong_image_size_for_a_model_says_what_it_expects(digits):
    task = VisionTask(model="transformer_small", data_spec=digits.spec, model_kwargs={"patch_size": 3})
    with pytest.raises(ValueError, match=r"not divisible by patch_size=3"):
        task(digits.test_x[:2])


def test_every_family_trains_on_digits(digits):
    for name in ("cnn_small", "resnet_small", "lstm_small", "transformer_small", "tv_resnet18"):
        kwargs = {"patch_size": 2} if name.startswith("transformer") else {}
        task = VisionTask(model=name, data_spec=digits.spec, model_kwargs=kwargs, lr=3e-3)
        trainer = quiet_trainer(max_steps=3, limit_val_batches=1)
        trainer.fit(task, datamodule=digits)
        assert torch.isfinite(trainer.callback_metrics["train_loss"]), name


def test_adversarial_training_option_runs(digits):
    task = VisionTask(model="cnn_small", data_spec=digits.spec, adversarial_training=True, adv_eps=0.05, adv_steps=2)
    trainer = quiet_trainer(max_steps=2, limit_val_batches=1)
    trainer.fit(task, datamodule=digits)
    assert torch.isfinite(trainer.callback_metrics["train_loss"])


def test_classify_and_evaluate_commands(tmp_path, capsys):
    from PIL import Image

    from apps.vision.app import CONFIGS

    APP.main(["fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--name", "p", "--runs_dir", str(tmp_path),
              "--trainer.max_epochs", "2", "--trainer.enable_progress_bar", "false", "--model.eval_samples", "60"])
    ckpt = tmp_path / "vision" / "p" / "checkpoints" / "best.ckpt"
    img = tmp_path / "digit.png"
    Image.fromarray((torch.rand(8, 8) * 255).byte().numpy()).save(img)
    capsys.readouterr()
    APP.main(["classify", "--ckpt", str(ckpt), "--top-k", "2", "--json", str(img)])
    out = json.loads(capsys.readouterr().out)
    assert out[0]["image"] == str(img) and len(out[0]["top"]) == 2
    assert out[0]["top"][0]["probability"] >= out[0]["top"][1]["probability"]
    APP.main(["evaluate", "--ckpt", str(ckpt), "--out", str(tmp_path / "eval"), "--max-samples", "50"])
    assert (tmp_path / "eval" / "evaluation.json").is_file()
    assert (tmp_path / "eval" / "plots" / "adversarial_example.png").is_file()
