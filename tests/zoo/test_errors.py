"""Bad input gets a clear error that says what was expected."""

import json

import pytest
import torch

import zoo


def test_unknown_model_lists_close_matches():
    with pytest.raises(KeyError, match=r"resnet_small"):
        zoo.create_model("resnet_smal")
    with pytest.raises(KeyError, match="zoo models"):
        zoo.create_model("completely-unknown")


def test_unsupported_kind_lists_supported_kinds():
    with pytest.raises(ValueError, match=r"in_kind='seq2seq'.*supports: image"):
        zoo.create_model("cnn_small", in_kind="seq2seq")


def test_unknown_argument_lists_accepted_ones():
    with pytest.raises(TypeError, match=r"unknown argument.*'depht'.*accepts:.*depth"):
        zoo.create_model("cnn_small", depht=3)


def test_wrong_channel_count_says_what_the_model_expects():
    model = zoo.create_model("resnet_small", in_channels=1, num_outputs=10)
    with pytest.raises(ValueError, match=r"expects \(B, C, H, W\).*1 channels.*in_channels=3"):
        model(torch.randn(2, 3, 8, 8))


def test_wrong_input_kind_says_what_the_model_expects():
    model = zoo.create_model("cnn_small", in_kind="sequence", in_channels=4, num_outputs=1)
    with pytest.raises(ValueError, match=r"in_kind='sequence'.*\(B, L, C\).*4-D"):
        model(torch.randn(2, 4, 8, 8))
    tokens = zoo.create_model("transformer_small", in_kind="tokens", vocab_size=50, num_outputs=2)
    with pytest.raises(ValueError, match="int64 token ids"):
        tokens(torch.randn(2, 7))
    board = zoo.create_model("resnet_small", in_kind="board", in_channels=2, num_outputs=9, board_size=(3, 3))
    with pytest.raises(ValueError, match=r"\(3, 3\) board"):
        board(torch.randn(2, 2, 6, 7))


def test_lstm_on_images_of_another_width_says_which_size():
    model = zoo.create_model("lstm_small", in_kind="image", in_channels=1, num_outputs=10, image_size=28)
    with pytest.raises(ValueError, match="image_size=8"):
        model(torch.randn(2, 1, 8, 8))


def test_missing_model_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope")):
        zoo.from_pretrained(tmp_path / "nope")


def test_folder_without_config_names_the_file(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        zoo.from_pretrained(tmp_path / "m")


def test_corrupt_config_names_file_and_line(tmp_path):
    folder = zoo.save_pretrained(zoo.create_model("cnn_small"), tmp_path / "m")
    (folder / "config.json").write_text('{"config": {"name": "cnn_small",\n  oops}\n')
    with pytest.raises(ValueError, match=r"config.json line 2, column 3: not valid JSON"):
        zoo.from_pretrained(folder)
    (folder / "config.json").write_text(json.dumps({"something": 1}))
    with pytest.raises(ValueError, match="config.json: expected an object with a 'config' field"):
        zoo.from_pretrained(folder)


def test_corrupt_or_missing_weights_name_the_file(tmp_path):
    folder = zoo.save_pretrained(zoo.create_model("cnn_small"), tmp_path / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"model.safetensors: the safetensors header says .* \(truncated, or not a safetensors file\)"):
        zoo.from_pretrained(folder)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors is missing"):
        zoo.from_pretrained(folder)


def test_weights_of_another_architecture_are_refused(tmp_path):
    folder = zoo.save_pretrained(zoo.create_model("cnn_small"), tmp_path / "m")
    meta = json.loads((folder / "config.json").read_text())
    meta["config"]["width"] = 16
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="does not match the architecture"):
        zoo.from_pretrained(folder)


def test_save_pretrained_replaces_a_folder_whole(tmp_path):
    first = zoo.save_pretrained(zoo.create_model("cnn_small", num_outputs=3), tmp_path / "m")
    zoo.save_pretrained(zoo.create_model("cnn_small", num_outputs=4), first)
    assert zoo.from_pretrained(first).config["num_outputs"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folders left behind


def test_fine_tune_head_from_pretrained(tmp_path):
    model = zoo.create_model("resnet_small", in_channels=1, num_outputs=10)
    folder = zoo.save_pretrained(model, tmp_path / "m")
    tuned = zoo.from_pretrained(folder, num_outputs=3)
    assert tuned(torch.randn(2, 1, 8, 8)).shape == (2, 3)
    assert torch.equal(tuned.stem[0].weight, model.stem[0].weight)
