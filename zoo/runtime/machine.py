"""The machine a benchmark ran on, recorded beside its numbers: the same 2 cores may be an Intel CPU with AMX or
an AMD EPYC with AVX-512 bf16, and a result means little without saying which."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

# The CPU features that change how fast our models train (bf16 and int8 matrix units, wide vectors).
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16", "amx_int8")


def parse_cpuinfo(text: str) -> tuple[str, list[str]]:
    """(model name, the ``SPEED_FLAGS`` present) from the text of /proc/cpuinfo (its first processor)."""
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return model, [f for f in SPEED_FLAGS if f in flags]


def machine_record(precision: str | list[str], cpuinfo: str | Path = "/proc/cpuinfo") -> dict:
    """CPU model and speed flags, cores (all and usable by this process), torch version and threads, the
    precision(s) the runs used, GPU (if any), and today's date (UTC)."""
    import torch

    path = Path(cpuinfo)
    model, flags = parse_cpuinfo(path.read_text()) if path.is_file() else ("", [])
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model or platform.processor() or platform.machine(), "cpu_flags": flags,
            "cores": os.cpu_count(), "usable_cores": usable, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "precision": precision,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "date": dt.datetime.now(dt.timezone.utc).date().isoformat()}


def describe(machine: dict) -> str:
    """One line for a table's caption: "Intel(R) Xeon(R) Processor, 2 cores (avx512_bf16, amx_bf16), torch 2.5.1,
    32-true, 2025-01-31"."""
    flags = [f for f in machine.get("cpu_flags", []) if f.startswith(("avx512_bf16", "amx_bf16"))]
    precision = machine.get("precision")
    precision = ", ".join(precision) if isinstance(precision, list) else precision
    gpu = f", {machine['gpu']}" if machine.get("gpu") else ""
    return (f"{machine.get('cpu') or 'unknown CPU'}, {machine.get('usable_cores')} cores"
            + (f" ({', '.join(flags)})" if flags else "") + f"{gpu}, torch {machine.get('torch')}, "
            f"precision {precision}, {machine.get('date')}")


FAST_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # CPUs on which bf16 matmuls and convolutions beat fp32


def auto_precision(accelerator: str = "auto", cpuinfo: str | Path = "/proc/cpuinfo") -> tuple[str, str]:
    """(Lightning precision, why) for ``precision: auto``: bf16-mixed on a GPU that supports bf16 and on a CPU with
    fast bf16 (AVX-512 bf16 or AMX), full fp32 elsewhere (bf16 emulated on older CPUs is slower than fp32)."""
    import torch

    if accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        if torch.cuda.is_bf16_supported():
            return "bf16-mixed", f"{torch.cuda.get_device_name(0)} supports bf16"
        return "32-true", f"{torch.cuda.get_device_name(0)} has no bf16"
    path = Path(cpuinfo)
    model, flags = parse_cpuinfo(path.read_text()) if path.is_file() else ("", [])
    fast = [f for f in flags if f in FAST_BF16_FLAGS]
    if fast:
        return "bf16-mixed", f"{model or 'this CPU'} has {', '.join(fast)}"
    return "32-true", f"{model or 'this CPU'} has no fast bf16 (avx512_bf16 or amx_bf16)"
