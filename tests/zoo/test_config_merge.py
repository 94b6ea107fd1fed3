"""How settings from several sources combine (zoo.runtime.config_sources), as jsonargparse combines them: groups
and a class's settings merge key by key, a setting whose value is a mapping is replaced whole. Merging
model_kwargs handed the lesson preset's CNN arguments (pool_every) to every family of the demo's leaderboard."""

from zoo.runtime.config_sources import read_command_line

GROUPS = ("trainer", "model", "data")


def test_a_mapping_valued_setting_is_replaced_not_merged(tmp_path):
    preset = tmp_path / "p.yaml"
    preset.write_text("model:\n  model: cnn_small\n  model_kwargs: {depth: 5, pool_every: 1}\n  lr: 0.1\n"
                      "data:\n  class_path: apps.vision.data.DigitsDataModule\n  init_args: {batch_size: 64}\n")
    line = read_command_line(["-c", str(preset), "--model.model", "resnet_small", "--model.model_kwargs",
                              '{"width": 16}', "--data.init_args.seed", "3"], ("fit",), GROUPS)
    assert line.config["model"] == {"model": "resnet_small", "model_kwargs": {"width": 16}, "lr": 0.1}
    assert line.config["data"]["init_args"] == {"batch_size": 64, "seed": "3"}  # a class's settings merge


def test_a_second_config_replaces_a_mapping_and_merges_a_group(tmp_path):
    (tmp_path / "a.yaml").write_text("model: {model_kwargs: {depth: 5, pool_every: 1}, lr: 0.1}\n")
    (tmp_path / "b.yaml").write_text("model: {model_kwargs: {width: 8}}\ntrainer: {max_epochs: 2}\n")
    line = read_command_line(["-c", str(tmp_path / "a.yaml"), "-c", str(tmp_path / "b.yaml")], ("fit",), GROUPS)
    assert line.config["model"] == {"model_kwargs": {"width": 8}, "lr": 0.1}
    assert line.config["trainer"] == {"max_epochs": 2}
