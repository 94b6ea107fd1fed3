"""ZooCLI: LightningCLI with the run-folder conventions every app shares.

Everything a run makes goes under ``<runs_dir>/<app>/<name>/``: ``config.yaml``, ``checkpoints/`` (best.ckpt,
last.ckpt), ``model/`` (a ``from_pretrained`` folder), ``metrics.json`` (held-out metrics), ``plots/*.png`` and
CSV + TensorBoard logs. A killed run resumes with ``fit ... --ckpt_path last``.

Under torchrun or SLURM (``--trainer.num_nodes M --trainer.devices N --trainer.strategy ddp``) the process of
global rank 0 claims and writes the run folder; every process adds its ``ranks/rank<R>.json`` (``RankReport``).
"""

from __future__ import annotations

import inspect
import sys
import warnings
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from ..callbacks import FitTimer, GradientHealth, LastCheckpoint, RankReport, StopOnNonFinite
from ..checkpoint import LIGHTNING_KEYS, SafeCheckpointIO
from ..errors import InputError
from ..safety import check_config, check_config_files, check_plain, check_run_name, claim_folder, inside
from .finish import finish_run
from .machine import auto_precision


class ZooCLI(LightningCLI):
    description = "Train and test with Lightning: -c CONFIG, --model.*, --data.*, --trainer.*, --name RUN."

    def __init__(self, app: str, model_class, datamodule_class, args=None, **kwargs):
        self.app = app
        # Called from Python with explicit args (zoo demo, tests), sys.argv belongs to someone else.
        warnings.filterwarnings("ignore", message=".*LightningCLI's args parameter is intended.*")
        # A resumed fit moves the old metrics.csv aside first (see _loggers), so nothing is deleted.
        warnings.filterwarnings("ignore", message=".*Experiment logs directory .* exists and is not empty.*")
        kwargs.setdefault("save_config_callback", None)  # we write config.yaml into the run folder ourselves
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("auto_configure_optimizers", False)  # ZooTask configures its own
        kwargs.setdefault("parser_kwargs", {"prog": f"zoo {app}", "description": self.description})
        # Our checkpoints carry no `_instantiator`: nothing in a checkpoint ever names code to call.
        kwargs.setdefault("load_from_checkpoint_support", False)
        check_config_files(sys.argv[1:] if args is None else args)
        super().__init__(model_class, datamodule_class, args=args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--name", type=str, default="default",
                            help="Run name: everything goes to <runs_dir>/<app>/<name>/")
        parser.add_argument("--runs_dir", type=str, default="runs", help="Root folder of all runs")
        parser.add_argument("--gradient_health_every", type=int, default=50,
                            help="Check per-layer gradient norms every N steps (0: off)")
        parser.add_argument("--precision", type=str | None, default=None,
                            help="auto: bf16-mixed where this machine has fast bf16 (AVX-512 bf16, AMX, a bf16 GPU), "
                                 "32-true elsewhere; any Lightning precision is passed on. --trainer.precision wins.")
        parser.add_argument("--extra_eval", type=bool, default=True,
                            help="After the test: the app's further held-out evaluation (robustness, attribution, "
                                 "zero-shot resolutions, ...); sweeps turn it off")
        if "data_spec" in inspect.signature(self._model_class.__init__).parameters:
            # The data module knows what the model is built for (classes, channels, vocabulary, grid, sequence
            # length); a task that takes `data_spec` gets it from there, never from the user.
            parser.link_arguments("data.spec", "model.data_spec", apply_on="instantiate")

    @property
    def run_dir(self) -> Path:
        """``<runs_dir>/<app>/<name>``, checked to stay inside the runs folder (symbolic links followed)."""
        cfg = self.config.get(str(self.subcommand), self.config)
        runs = Path(cfg.runs_dir)
        return inside(runs / self.app / check_run_name(cfg.name), runs)

    def _parse_ckpt_path(self) -> None:
        """Lightning merges a checkpoint's hyperparameters into the config (so ``test --ckpt_path`` rebuilds the
        model) and jsonargparse would import any ``class_path`` among them: merge only plain values."""
        sub = self.config.get("subcommand")
        ckpt_path = self.config[sub].get("ckpt_path") if sub else None
        if not ckpt_path or not Path(ckpt_path).is_file():
            return
        checkpoint = SafeCheckpointIO().load_checkpoint(ckpt_path)
        hparams = checkpoint.get("hyper_parameters", {}) if isinstance(checkpoint, dict) else None
        if not isinstance(hparams, dict):
            raise InputError(f"{ckpt_path}: hyper_parameters is not a dict")
        hparams = {k: v for k, v in hparams.items() if k not in LIGHTNING_KEYS}
        check_plain(hparams, f"{ckpt_path}: hyper_parameters")
        if hparams:
            self.config = self.parser.parse_object({sub: {"model": hparams}}, self.config)

    def before_instantiate_classes(self) -> None:
        """Refuse what would run foreign code, write outside the runs folder or train nothing, before anything is
        built or written."""
        cfg = self.config.get(str(self.subcommand), self.config)
        check_config(_as_dict(cfg), "config")
        _ = self.run_dir
        trainer = cfg.get("trainer") or {}
        if self.subcommand == "fit":
            for key in ("max_epochs", "max_steps", "limit_train_batches"):
                if trainer.get(key) == 0:
                    raise InputError(f"--trainer.{key} 0 trains nothing (the run would save an untrained model); "
                                     "give a positive value")

    def instantiate_trainer(self, **kwargs) -> L.Trainer:
        run_dir = self.run_dir
        cfg = self.config.get(str(self.subcommand), self.config)
        trainer_cfg = self._get(self.config_init, "trainer", default={})
        if not trainer_cfg.get("default_root_dir"):
            kwargs["default_root_dir"] = str(run_dir)
        logger = trainer_cfg.get("logger")
        if logger in (None, True):
            kwargs["logger"] = self._loggers(run_dir)
        elif logger is not False:  # the user's tracker (MLflow, W&B, ...) beside the CSV the run's report reads
            kwargs["logger"] = [*(logger if isinstance(logger, list) else [logger]), self._loggers(run_dir)[0]]
        callbacks = list(trainer_cfg.get("callbacks") or [])
        callbacks.append(StopOnNonFinite(self.model.monitor))
        if trainer_cfg.get("enable_checkpointing") is not False:
            callbacks.append(ModelCheckpoint(
                dirpath=run_dir / "checkpoints", filename="best", monitor=self.model.monitor,
                mode=self.model.monitor_mode, enable_version_counter=False))
            callbacks.append(LastCheckpoint(run_dir / "checkpoints"))
        self.fit_timer = FitTimer()
        callbacks += [self.fit_timer, RankReport(run_dir)]
        if cfg.gradient_health_every > 0:
            callbacks.append(GradientHealth(every_n_steps=cfg.gradient_health_every, run_dir=run_dir))
        kwargs["callbacks"] = callbacks
        if cfg.precision and trainer_cfg.get("precision") is None:
            kwargs["precision"] = self._precision(cfg.precision, trainer_cfg.get("accelerator") or "auto")
        plugins = trainer_cfg.get("plugins") or []
        kwargs["plugins"] = (plugins if isinstance(plugins, list) else [plugins]) + [SafeCheckpointIO()]
        return super().instantiate_trainer(**kwargs)

    @staticmethod
    def _precision(setting: str, accelerator: str) -> str:
        """The top-level ``precision`` setting as Lightning's: ``auto`` is chosen for this machine (and said)."""
        if setting != "auto":
            return setting
        precision, why = auto_precision(str(accelerator))
        print(f"precision: auto -> {precision} ({why})")  # stdout: stderr is for what went wrong
        return precision

    def _loggers(self, run_dir: Path) -> list:
        """CSV + TensorBoard in the run folder. Lightning's CSVLogger deletes an existing metrics.csv, so a resumed
        fit first moves it aside (``plot_curves`` reads them all); test/validate/predict log in a folder of their own."""
        if self.subcommand != "fit":
            return [CSVLogger(run_dir / f"{self.subcommand}_logs", name="csv", version="")]
        old = run_dir / "csv" / "metrics.csv"
        if old.is_file() and rank_zero_only.rank == 0:
            old.rename(old.with_name(f"metrics.{int(old.stat().st_mtime)}.csv"))
        return [CSVLogger(run_dir, name="csv", version=""), TensorBoardLogger(run_dir, name="tensorboard", version="")]

    def before_fit(self) -> None:
        if not self.trainer.is_global_zero:
            return  # under torchrun or SLURM one process owns the run folder; the others write only ranks/
        claim_folder(self.run_dir, "--name")
        parser = self._parser(self.subcommand)
        text = parser.dump(self.config[self.subcommand], skip_none=False)
        (self.run_dir / "config.yaml").write_text(text)

    def after_fit(self) -> None:
        trainer = self.trainer
        if trainer.interrupted:
            return
        ckpt = trainer.checkpoint_callback
        results = trainer.test(self.model, datamodule=self.datamodule,
                               ckpt_path=ckpt.best_model_path if ckpt and ckpt.best_model_path else None,
                               verbose=False)
        cfg = self.config.get(str(self.subcommand), self.config)
        finish_run(self.app, self.run_dir, trainer, self.model, self.datamodule, results[0] if results else {},
                   self.fit_timer, extra_eval=cfg.extra_eval)


def _as_dict(cfg) -> dict:
    """A jsonargparse Namespace as nested dicts (for ``check_config``)."""
    return cfg.as_dict() if hasattr(cfg, "as_dict") else dict(cfg)
