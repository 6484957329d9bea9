"""What a user gets out of an installed ``dsrs``, captured so that two versions can be compared
file by file: the check that a refactor changed no output (issue #20's "behaviour unchanged").

``capture OUT`` runs, from an empty temporary directory, the ``dsrs`` found next to this
Python (the checkout's ``.venv``):

- ``dsrs reproduce`` on the first 40 instances of the published MNIST σ 0.25 sampling files
  (the radius files it writes);
- ``dsrs certify-local`` on the demo model: fixed-N rows as CSV, sequential rows as JSONL;
- ``dsrs demo --samples 20 --n 2000`` (the printed table), then ``dsrs serve`` on the demo's
  state and ``dsrs export`` of its job in every format, and ``dsrs jobs show``.

``compare A B`` says which files differ, ignoring only what is wall clock or random: the
``elapsed_s`` field, the time column of the cohen format, ``time-*`` files, "x.y s" in text,
and 32-hex-digit ids.

    python -m benchmarks.output_snapshot capture /tmp/after     # this checkout's .venv
    OLD/.venv/bin/python -m benchmarks.output_snapshot capture /tmp/before  # another checkout's
    python -m benchmarks.output_snapshot compare /tmp/before /tmp/after

(run from this checkout's root, so that ``benchmarks`` and ``tests.support`` are found; the
``dsrs`` captured is the one beside the Python that runs it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from tests.polling import wait_until
from tests.support.processes import dsrs_executable, free_port, running_process

PUBLISHED = Path("/work/shared/reference/dsrs-published/data/sampling/cohen-mnist-380-0.25.pth")
SAMPLING_FILES = (
    "general-gaussian-380-0.25-50000-0.0005.txt",
    "general-gaussian-380-0.25-50000-0.0005-x+.txt",
)
INSTANCES = 40
HEADER_LINES = 7  # the `x key value` header and the blank line of a published sampling file


def _dsrs(*arguments: str, cwd: Path, output: Path | None = None, url: str | None = None) -> str:
    env = {**os.environ, "COLUMNS": "100", **({"DSRS_URL": url} if url else {})}
    done = subprocess.run(
        [dsrs_executable(), *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    text = done.stdout + done.stderr + f"rc={done.returncode}\n"
    if output is not None:
        output.write_text(text)
    return done.stdout


def capture(out: Path, data: Path) -> None:
    out.mkdir(parents=True, exist_ok=False)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        sampling = work / "slice" / "sampling" / data.name
        sampling.mkdir(parents=True)
        for name in SAMPLING_FILES:
            lines = (data / name).read_text().splitlines(keepends=True)
            (sampling / name).write_text("".join(lines[: HEADER_LINES + INSTANCES]))
        _dsrs(
            "reproduce",
            "--data",
            "slice",
            "--out",
            "repro",
            "--workers",
            "1",
            "--no-compare",
            cwd=work,
            output=out / "reproduce.txt",
        )
        for path in sorted((work / "repro").rglob("*")):
            if path.is_file() and not path.name.startswith("time-"):
                target = out / "radius" / path.relative_to(work / "repro")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)

        from dsrs_models.demo import DEMO_WEIGHTS_PATH

        local = ["certify-local", str(DEMO_WEIGHTS_PATH), "--arch", "digits-mlp"]
        # the radius form of sequential sampling: --tolerance, --radius-tolerance before 2026-12-05
        help_text = _dsrs("certify-local", "--help", cwd=work)
        sequential_flag = "--tolerance" if "--tolerance " in help_text else "--radius-tolerance"
        local += ["--dataset", "digits", "--q-sigma", "0.3"]
        _dsrs(
            *local,
            "--stop",
            "30",
            "--n",
            "2000",
            "-o",
            str(out / "local.csv"),
            cwd=work,
            output=out / "local.txt",
        )
        _dsrs(
            *local,
            "--stop",
            "20",
            "--n",
            "4000",
            sequential_flag,
            "0.25",
            "-o",
            str(out / "local-seq.jsonl"),
            cwd=work,
            output=out / "local-seq.txt",
        )
        _dsrs(
            "demo",
            "--samples",
            "20",
            "--n",
            "2000",
            "--storage-dir",
            "state",
            cwd=work,
            output=out / "demo.txt",
        )

        url = f"http://127.0.0.1:{free_port()}"
        serve = [dsrs_executable(), "serve", "--port", url.rsplit(":", 1)[1]]
        env = {**os.environ, "DSRS_STORAGE_DIR": "state"}
        with running_process(serve, env, work / "serve.log", cwd=work):
            wait_until(lambda: _answers(f"{url}/healthz"), timeout=120, interval=0.5)
            listed = json.loads(_dsrs("--json", "jobs", "list", cwd=work, url=url))
            (job,) = listed["items"] if isinstance(listed, dict) else listed
            for fmt in ("csv", "jsonl", "cohen"):
                target = out / f"export.{fmt}"
                _dsrs("export", job["id"], "--format", fmt, "-o", str(target), cwd=work, url=url)
            target = out / "export-dsrs"
            _dsrs("export", job["id"], "--format", "dsrs", "-o", str(target), cwd=work, url=url)
            _dsrs("jobs", "show", job["id"], cwd=work, output=out / "jobs-show.txt", url=url)
    print(f"captured {sum(1 for p in out.rglob('*') if p.is_file())} files in {out}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _normalised(path: Path, root: Path) -> str:
    text = path.read_text().replace(str(root), "OUT")
    text = re.sub(r"\b[0-9a-f]{32}\b", "ID", text)
    if path.suffix == ".csv":
        rows = csv.DictReader(io.StringIO(text))
        return "\n".join(json.dumps({k: v for k, v in r.items() if k != "elapsed_s"}) for r in rows)
    if path.suffix == ".jsonl":
        rows = (json.loads(line) for line in text.splitlines())
        return "\n".join(json.dumps({k: v for k, v in r.items() if k != "elapsed_s"}) for r in rows)
    if path.suffix == ".cohen":  # the last column is the time an input took
        return "\n".join("\t".join(line.split("\t")[:-1]) for line in text.splitlines())
    text = re.sub(r"\d+(\.\d+)? s\b", "T s", text)
    text = re.sub(r"\(\d+\.\d+ s per image\)", "", text)
    return "\n".join(line for line in text.splitlines() if not line.startswith("certifying: "))


def compare(a: Path, b: Path) -> int:
    def files(root: Path) -> set[Path]:
        return {
            p.relative_to(root)
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith("time-")
        }

    in_a, in_b = files(a), files(b)
    differences = [f"only in one: {rel}" for rel in sorted(in_a ^ in_b)]
    differences += [
        f"differs: {rel}"
        for rel in sorted(in_a & in_b)
        if _normalised(a / rel, a) != _normalised(b / rel, b)
    ]
    print("\n".join(differences))
    print(f"{len(in_a & in_b)} files compared, {len(differences)} differences")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    capturing = commands.add_parser("capture", help="run the installed dsrs, keep its outputs")
    capturing.add_argument("out", type=Path)
    capturing.add_argument("--data", type=Path, default=PUBLISHED, help="a sampling folder")
    comparing = commands.add_parser("compare", help="which captured files differ")
    comparing.add_argument("a", type=Path)
    comparing.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.out.resolve(), args.data)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
