"""``python -m tinyseek plan``: a readable table, JSON, a flag per input, clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tinyseek import plan
from tinyseek.__main__ import HELP, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_preset_prints_a_table(capsys):
    status, out, err = run(capsys, "plan", "--preset", "deepseek-v3")
    assert status == 0 and not err
    for label in ("export licence", "memory per chip", "bound by", "GPU-hours", "days",
                  "rental cost", "KV cache per token", "serving"):
        assert label in out
    assert "2,048 x H800 SXM" in out and "not required under the 2022-10 rule" in out


def test_json_has_the_required_keys_and_the_planners_numbers(capsys):
    status, out, _ = run(capsys, "plan", "--preset", "deepseek-v3", "--json")
    got = json.loads(out)
    for key in ("licence_required", "rule", "memory_per_chip_gb", "fits", "gpu_hours", "days",
                "cost_usd", "bound"):
        assert key in got
    assert got["gpu_hours"] == pytest.approx(plan.plan(plan.preset("deepseek-v3"))["gpu_hours"])


def test_flags_override_the_preset(capsys):
    _, out, _ = run(capsys, "plan", "--chip", "h100", "--chips", "2048", "--date", "2023-12-01",
                    "--destination", "CN", "--json")
    got = json.loads(out)
    assert got["chip"] == "H100 SXM" and got["licence_required"] is True and got["rule"] == "2023-10"
    _, out, _ = run(capsys, "plan", "--preset", "llama-3.1-405b", "--recompute", "--mfu", "0.38",
                    "--json")
    expected = plan.plan(plan.preset("llama-3.1-405b").with_(recompute=True, mfu=0.38))
    assert json.loads(out)["gpu_hours"] == pytest.approx(expected["gpu_hours"])
    assert json.loads(out)["fits"] is True
    _, out, _ = run(capsys, "plan", "--n-experts", "0", "--top-k", "0", "--ep", "1",
                    "--active-params", "671e9", "--tp", "8", "--json")
    assert json.loads(out)["comm_kind"] == "tensor-parallel all-reduce"


def test_every_input_has_a_documented_flag():
    text = build_parser()._subparsers._group_actions[0].choices["plan"].format_help()
    for field in plan.FIELDS:
        assert "--" + field.replace("_", "-") in text
        assert HELP[field].split()[0] in text
    assert set(HELP) == set(plan.FIELDS)


@pytest.mark.parametrize("argv, message", [
    (["--chip", "h900"], "unknown chip 'h900'"),
    (["--chips", "0"], "chips must be ≥ 1, got 0"),
    (["--chips", "2040"], "must divide chips (2040)"),
    (["--active-params", "700e9"], "active_params must be ≤"),
    (["--destination", "XX"], "destination must be one of"),
])
def test_bad_input_is_one_line_and_status_2(capsys, argv, message):
    status, out, err = run(capsys, "plan", *argv)
    assert status == 2 and not out
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_malformed_values_are_argparse_errors(capsys):
    for argv in (["--chips", "abc"], ["--date", "1 June"], ["--mfu", "high"]):
        with pytest.raises(SystemExit) as stop:
            main(["plan", *argv])
        assert stop.value.code == 2
        assert "expected" in capsys.readouterr().err


def test_module_runs_as_a_program():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "code")}
    ok = subprocess.run([sys.executable, "-m", "tinyseek", "plan", "--json"], capture_output=True,
                        text=True, env=env, timeout=120)
    assert ok.returncode == 0 and json.loads(ok.stdout)["bound"] == "compute"
    bad = subprocess.run([sys.executable, "-m", "tinyseek", "plan", "--chips", "0"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "chips" in bad.stderr
