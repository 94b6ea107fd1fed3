"""The learning-curve plot: every legend names a distinct series (a loss logged per step and per epoch used to
give two lines labelled train_loss)."""

from zoo.runtime import report


def test_each_curve_in_a_legend_is_a_different_series(tmp_path, monkeypatch):
    csv = tmp_path / "metrics.csv"
    csv.write_text("epoch,step,train_loss,train_loss_epoch,val_loss,val_bleu\n"
                   "0,9,2.0,,,\n0,9,,1.9,,\n0,9,,,1.8,10\n1,19,1.0,,,\n1,19,,1.1,,\n1,19,,,1.2,30\n")
    figures = []
    monkeypatch.setattr(report, "save_figure", lambda fig, path: figures.append(fig) or path)
    report.plot_curves(csv, tmp_path / "curves.png")
    (fig,) = figures
    for axes in fig.axes:
        labels = [line.get_label() for line in axes.get_lines()]
        assert len(labels) == len(set(labels)), labels
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train_loss", "val_loss"]
