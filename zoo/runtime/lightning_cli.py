"""ZooCLI: LightningCLI with the run-folder conventions every app shares.

Everything a run makes goes under ``<runs_dir>/<app>/<name>/``: ``config.yaml``, ``checkpoints/`` (best.ckpt,
last.ckpt), ``model/`` (a ``from_pretrained`` folder), ``metrics.json`` (held-out metrics), ``plots/*.png`` and
CSV + TensorBoard logs. A killed run resumes with ``fit ... --ckpt_path last``.

Under torchrun or SLURM (``--trainer.num_nodes M --trainer.devices N --trainer.strategy ddp``) the process of
global rank 0 claims and writes the run folder; every process adds its ``ranks/rank<R>.json`` (``RankReport``).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from ..callbacks import FitTimer, GradientHealth, LastCheckpoint, RankReport, StopOnNonFinite
from ..checkpoint import SafeCheckpointIO
from ..errors import InputError, parser_error_line
from ..trust.classes import check_config as check_classes
from ..trust.classes import data_classes, lightning_name
from ..trust.runfolder import RunFolder, check_run_name, inside
from .checkpoint_hparams import merge_checkpoint_hparams
from .config_sources import HELP_FLAGS, read_command_line
from .finish import finish_run
from .machine import auto_precision

LIGHTNING_SUBCOMMANDS = ("fit", "validate", "test", "predict")
# Settings that take a whole mapping, or a file of one (read by us): the sections and the class-valued settings.
GROUPS = ("trainer", "model", "data", "trainer.callbacks", "trainer.logger", "trainer.plugins",
          "trainer.strategy", "trainer.profiler")


class ZooCLI(LightningCLI):
    description = "Train and test with Lightning: -c CONFIG, --model.*, --data.*, --trainer.*, --name RUN."

    def __init__(self, app: str, model_class, datamodule_class, args=None, data_modules: Sequence[str] = (),
                 presets: Path | None = None, **kwargs):
        self.app, self.presets = app, presets
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
        self.print_config = None
        self.data_table: dict[str, type] = {}  # the app's data modules by full name (zoo.trust.classes)
        self.run_folder: RunFolder | None = None  # claimed in instantiate_trainer, by rank zero
        args = list(sys.argv[1:] if args is None else args)
        if not any(a in HELP_FLAGS for a in args):  # help reads no file: jsonargparse may parse it as it is
            args = self._read_sources(args, model_class, data_modules, run=kwargs.get("run", True))
        try:
            super().__init__(model_class, datamodule_class, args=args, **kwargs)
        except argparse.ArgumentError as e:  # a value of the wrong type, an unknown key: one line naming them
            raise InputError(parser_error_line(e, f"zoo {app} --help")) from None

    def _read_sources(self, argv: list[str], model_class, data_modules: Sequence[str], run: bool) -> dict:
        """The command line as one checked dict (``zoo.runtime.config_sources``): every file read by us, every
        class checked against the table, the checkpoint's hyperparameters merged as plain values."""
        line = read_command_line(argv, LIGHTNING_SUBCOMMANDS if run else (), GROUPS, self.presets)
        if run and line.subcommand is None:
            raise InputError(f"expected a command: {'|'.join(LIGHTNING_SUBCOMMANDS)} (see --help)")
        self.print_config = line.print_config
        config = line.config
        data = self.data_table = data_classes(data_modules)
        _full_class_names(config, data)
        where = line.subcommand or "config"
        merge_checkpoint_hparams(config, model_class, where)
        run_dir = _run_dir(config, self.app)
        for source, fragment in line.files:  # what a file says may not write elsewhere or fetch from the Hub
            _full_class_names(fragment, data)
            check_classes(fragment, data, source, run_dir=run_dir)
        check_classes(config, data, where)
        return {line.subcommand: config} if run else config

    def init_parser(self, **kwargs):
        """Each parser (the app's and its subcommands') raises a parse error instead of printing the usage and
        exiting, so that __init__ can make it one line."""
        return super().init_parser(**{**kwargs, "exit_on_error": False})

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
        """``<runs_dir>/<app>/<name>``, checked to stay inside the runs folder with no link on the way."""
        cfg = self.config.get(str(self.subcommand), self.config)
        runs = Path(cfg.runs_dir)
        return inside(runs / self.app / check_run_name(cfg.name), runs)

    def _claim(self) -> RunFolder | None:
        """The run folder, claimed (new, or marked by an earlier run) before anything is written or renamed in it:
        every command that takes --name refuses a folder zoo-suite did not make. Only rank zero claims."""
        if rank_zero_only.rank != 0:
            return None
        cfg = self.config.get(str(self.subcommand), self.config)
        return RunFolder.claim(self.run_dir, "--name", within=cfg.runs_dir)

    def _parse_ckpt_path(self) -> None:
        """Lightning has no public switch for its own merge of a checkpoint's hyperparameters (it would import a
        ``_class_path`` found there); ``_read_sources`` has already merged them as checked plain values."""

    def before_instantiate_classes(self) -> None:
        """Refuse what would run foreign code, write outside the runs folder or train nothing, before anything is
        built or written."""
        cfg = self.config.get(str(self.subcommand), self.config)
        if self.print_config is not None:
            print(self.parser.dump(self.config, skip_none=False), end="")
            raise SystemExit(0)
        _ = self.run_dir
        if self.subcommand == "predict":
            _check_predicts(cfg.get("data"), self.app, self.data_table)
        trainer = cfg.get("trainer") or {}
        if self.subcommand == "fit":
            for key in ("max_epochs", "max_steps", "limit_train_batches"):
                if trainer.get(key) == 0:
                    raise InputError(f"--trainer.{key} 0 trains nothing (the run would save an untrained model); "
                                     "give a positive value")

    def instantiate_trainer(self, **kwargs) -> L.Trainer:
        run_dir = self.run_dir
        self.run_folder = self._claim()
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
            if self.run_folder is not None and self.subcommand == "fit":
                self.run_folder.subdir("checkpoints")  # Lightning makes it through a link; a linked one is refused
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
        folder = self.run_folder  # claimed: a foreign folder was refused before anything here is renamed
        if self.subcommand != "fit":
            if folder is not None:  # Lightning opens these names itself: no link among them
                for name in ("metrics.csv", "hparams.yaml"):
                    folder.path(f"{self.subcommand}_logs/csv/{name}")
            return [CSVLogger(run_dir / f"{self.subcommand}_logs", name="csv", version="")]
        if folder is not None:
            old = folder.path("csv/metrics.csv")
            if old.is_file():
                old.rename(folder.path(f"csv/metrics.{int(old.stat().st_mtime)}.csv"))
            for name in ("csv/hparams.yaml", "tensorboard/hparams.yaml"):
                folder.path(name)
        return [CSVLogger(run_dir, name="csv", version=""), TensorBoardLogger(run_dir, name="tensorboard", version="")]

    def before_fit(self) -> None:
        if not self.trainer.is_global_zero:
            return  # under torchrun or SLURM one process owns the run folder; the others write only ranks/
        parser = self._parser(self.subcommand)
        text = parser.dump(self.config[self.subcommand], skip_none=False)
        (self.run_folder or self._claim()).write_text("config.yaml", text)

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


def _run_dir(config: dict, app: str) -> Path:
    """Where this run will write, from the settings as given (defaults as ``add_arguments_to_parser``)."""
    name, runs = config.get("name", "default"), config.get("runs_dir", "runs")
    if not isinstance(name, str) or not isinstance(runs, str):
        raise InputError("--name and --runs_dir take a folder name and a folder")
    return Path(runs) / app / check_run_name(name)


def _check_predicts(data, app: str, table: dict[str, type]) -> None:
    """``predict`` needs a data module with a prediction set; refuse one without, before anything is built (it
    would fail deep in Lightning's loop). The class is looked up in the app's table (zoo.trust.classes), never
    imported by the name the config gave."""
    path = getattr(data, "class_path", None) if data is not None else None
    cls = table.get(path) if isinstance(path, str) else None
    if cls is not None and cls.predict_dataloader is L.LightningDataModule.predict_dataloader:
        raise InputError(f"zoo {app.replace('/', ' ')} predict: {cls.__name__} has no prediction set; use test or "
                         "validate for held-out metrics, or the app's own command for new inputs (see --help)")


def _full_class_names(config: dict, data: dict) -> None:
    """Every class in ``config`` by its table name, so that jsonargparse never looks a short name up among
    whatever classes happen to be imported."""
    section = config.get("data")
    if isinstance(section, str):
        config["data"] = section = {"class_path": section}
    if isinstance(section, dict):
        short = {full.rsplit(".", 1)[1]: full for full in data}
        if section.get("class_path") in short:
            section["class_path"] = short[section["class_path"]]
        loose = [k for k in section if k not in ("class_path", "init_args", "dict_kwargs")]
        if loose:  # `--data.batch_size 32` is the data module's init_args, as jsonargparse reads it
            section.setdefault("init_args", {})
            if isinstance(section["init_args"], dict):
                section["init_args"].update({k: section.pop(k) for k in loose})
    trainer = config.get("trainer")
    if isinstance(trainer, dict):
        for key in ("callbacks", "logger"):
            items = trainer.get(key)
            for i, item in enumerate(items if isinstance(items, list) else [items]):
                if isinstance(item, str) and lightning_name(item):
                    item = {"class_path": item}
                if isinstance(item, dict) and isinstance(item.get("class_path"), str):
                    item["class_path"] = lightning_name(item["class_path"]) or item["class_path"]
                if isinstance(items, list):
                    items[i] = item
                elif item is not None:
                    trainer[key] = item
