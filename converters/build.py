"""Running Sphinx: an argument list, never a shell string."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import BuildError

BUILDERS = {"html": "html"}


@dataclass
class BuildResult:
    format: str
    output: Path
    warnings: list[str]


def sphinx_command(project: Path, fmt: str, outdir: Path, strict: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "sphinx", "-b", BUILDERS[fmt], "-c", str(project),
           str(project / "book"), str(outdir), "-q", "--keep-going"]
    if strict:
        cmd.insert(3, "-W")
    return cmd


def run_sphinx(project: Path, fmt: str, build_dir: Path, strict: bool = True) -> BuildResult:
    if fmt not in BUILDERS:
        raise BuildError(f"unknown format '{fmt}' (known: {', '.join(BUILDERS)})")
    outdir = build_dir / fmt
    proc = subprocess.run(sphinx_command(project, fmt, outdir, strict), cwd=project,
                          capture_output=True, text=True)
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        first = next((w for w in warnings if "WARNING" in w or "ERROR" in w), warnings[-1] if warnings else "")
        raise BuildError(f"sphinx-build ({fmt}) failed with {len(warnings)} message(s); first: {first}")
    return BuildResult(fmt, outdir, warnings)
