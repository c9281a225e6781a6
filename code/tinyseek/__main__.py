"""Command line: ``python -m tinyseek plan --preset deepseek-v3 [--chip h20] [--json]``.

Every input of :class:`tinyseek.plan.Inputs` is a flag (``--total-params 671e9``); a preset fills
the rest. Bad input prints one line saying what to change and exits with status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys

from . import chips, plan

HELP = {
    "name": "a name for the run, shown in the table",
    "date": "the day the chips are bought (YYYY-MM-DD): decides which export rule applies",
    "destination": "where the chips go: CN (China, where the rules apply) or US (no export)",
    "chip": f"the accelerator, from the chips database: {', '.join(chips.KNOWN)}",
    "chips": "how many chips train the model",
    "gpus_per_node": "chips per server joined by NVLink",
    "inter_node_gbs": "network bandwidth between servers per chip, one direction, GB/s",
    "total_params": "total parameters, e.g. 671e9",
    "active_params": "parameters used per token (= total for a dense model), e.g. 37e9",
    "n_layers": "transformer layers",
    "hidden": "model width (hidden dimension)",
    "n_experts": "routed experts per MoE layer (0 for a dense model)",
    "top_k": "routed experts each token uses (0 for a dense model)",
    "attention": "attention type: mha, gqa or mla (sets the KV cache)",
    "n_heads": "attention heads",
    "head_dim": "dimension per head",
    "n_kv_heads": "key/value heads (gqa only; 'none' otherwise)",
    "kv_rank": "latent width (mla only; 'none' otherwise)",
    "rope_dim": "decoupled RoPE key width (mla only; 'none' otherwise)",
    "precision": "training precision of the matrix products: bf16 or fp8",
    "tokens": "training tokens, e.g. 14.8e12",
    "seq_len": "tokens per training sequence",
    "micro_batch": "sequences per micro-batch per pipeline",
    "tp": "tensor-parallel degree",
    "pp": "pipeline-parallel degree (stages)",
    "ep": "expert-parallel degree (must divide the data-parallel degree chips / (tp x pp))",
    "zero": "ZeRO stage 0-3: 1 shards optimiser state, 2 also gradients, 3 also weights",
    "recompute": "recompute activations in the backward pass (keep only each layer's input)",
    "max_nodes": "node-limited routing: most nodes a token's experts may sit on (0: no limit)",
    "mfu": "assumed model-FLOPs utilisation, a share (0, 1] of the dense peak at the precision",
    "usd_per_gpu_hour": "rental price per GPU-hour, USD",
    "serve_batch": "sequences decoded together when serving",
    "serve_context": "average context length when serving, tokens",
}


def _optional_int(text: str) -> int | None:
    if text.strip().lower() in ("none", "-", ""):
        return None
    return _int(text)


def _int(text: str) -> int:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not x.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(x)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _parser_for(defaults: plan.Inputs) -> dict:
    """The argparse type of each field, from the type of its default value."""
    types = {}
    for field in plan.FIELDS:
        value = getattr(defaults, field)
        if field in ("n_kv_heads", "kv_rank", "rope_dim"):
            types[field] = _optional_int
        elif isinstance(value, bool):
            types[field] = bool
        elif isinstance(value, _dt.date):
            types[field] = _date
        elif isinstance(value, int):
            types[field] = _int
        elif isinstance(value, float):
            types[field] = _float
        else:
            types[field] = str
    return types


def build_parser() -> argparse.ArgumentParser:
    """``tinyseek`` with its one command, ``plan``, and a flag per planner input."""
    parser = argparse.ArgumentParser(prog="python -m tinyseek",
                                     description="The book's tools from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="plan a training run (Chapter 10)",
                       description="Plan a training run: licence, memory per chip, what binds, "
                                   "GPU-hours, days, cost and serving. A preset fills every "
                                   "input; any flag overrides one.")
    p.add_argument("--preset", choices=plan.PRESETS, default="deepseek-v3",
                   help="the published run to start from (default: deepseek-v3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    types = _parser_for(plan.Inputs())
    for field in plan.FIELDS:
        flag = "--" + field.replace("_", "-")
        if types[field] is bool:
            p.add_argument(flag, dest=field, action=argparse.BooleanOptionalAction,
                           default=argparse.SUPPRESS, help=HELP[field])
        else:
            p.add_argument(flag, dest=field, type=types[field], default=argparse.SUPPRESS,
                           help=HELP[field], metavar=field.upper())
    return parser


def table(result: dict) -> str:
    """The plan as aligned lines a reader can scan (rows from :func:`tinyseek.plan.summary`)."""
    rows = plan.summary(result)
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        changes = {f: getattr(args, f) for f in plan.FIELDS if hasattr(args, f)}
        result = plan.plan(plan.preset(args.preset).with_(**changes))
    except (ValueError, TypeError) as err:
        print(f"python -m tinyseek plan: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
