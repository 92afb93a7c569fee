#!/usr/bin/env python3
"""Training speed of the same model in PyTorch eager, for `make bench-compare`.

Runs tests/reference/torch_reference.py's model (float32, straight-through estimator) with
torch.optim.AdamW and gradient clipping on random tokens, per experiment config read from
experiments/*.ini, and reports the median tokens/s of N steps after 3 warm-up steps, as
`bitnet-tui bench` does, and the peak RSS of the process that ran it (each config runs in
a forked child, as `bitnet-tui bench` runs each in its own process). With --compare FILE
(the JSON lines of `bitnet-tui bench --json`) it prints both side by side with the ratios,
and bitnet-tui's ceiling with its ratio to PyTorch's speed.

Needs Debian's python3-torch (/usr/bin/python3); not used by CI.
"""
import argparse
import configparser
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPERIMENTS = os.path.join(HERE, "..", "..", "experiments")
KEYS = ["vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "ffn_size"]


def load_config(name):
    """The model and batch shape of experiments/NAME.ini (same keys as the C program)."""
    ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    path = os.path.join(EXPERIMENTS, name + ".ini")
    if not ini.read(path):
        sys.exit(f"bench_torch.py: {path}: cannot read")
    c = {k: ini.getint("model", k) for k in KEYS}
    c["seq_len"] = ini.getint("training", "seq_len", fallback=64)
    c["batch_size"] = ini.getint("training", "batch_size", fallback=32)
    return c


def bench(name, threads, steps, warmup=3):
    torch.set_num_threads(threads)
    c = load_config(name)
    params, _ = ref.init_params(0, c)
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    tokens = torch.randint(0, c["vocab_size"], (c["batch_size"], c["seq_len"]))
    opt = torch.optim.AdamW(params.values(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.1)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        _, loss = ref.forward(params, tokens, c)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params.values(), 1.0)
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    step = statistics.median(times)
    return {"config": name, "threads": threads, "framework": f"pytorch {torch.__version__}",
            "tokens_per_sec": c["batch_size"] * c["seq_len"] / step, "step_ms": step * 1e3}


def bench_in_child(name, threads, steps):
    """bench() in a forked child: its result and that child's peak RSS in MiB."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            out = json.dumps(bench(name, threads, steps)).encode()
            code = 0
        except Exception as e:  # the parent reports it
            out = json.dumps({"error": f"{type(e).__name__}: {e}"}).encode()
            code = 1
        with os.fdopen(write_fd, "wb") as f:
            f.write(out)
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    _, status, usage = os.wait4(pid, 0)
    r = json.loads(data) if data else {"error": f"child ended with status {status}"}
    if "error" in r:
        sys.exit(f"bench_torch.py: {name}, {threads} threads: {r['error']}")
    r["peak_rss_mib"] = usage.ru_maxrss / 1024.0
    return r


def ceiling_columns(ours, theirs):
    """bitnet-tui's ceiling (every product at its unit's peak, nothing else) and that over
    PyTorch's speed: the largest ratio any implementation on these units could show."""
    ceiling = (ours.get("roofs") or {}).get("ceiling_tok_s")
    if not ceiling:
        return f"{'-':>14} {'-':>13}"
    return f"{ceiling:>14.0f} {ceiling / theirs['tokens_per_sec']:>12.2f}x"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", nargs="+",
                    default=["arithmetic", "tictactoe", "tinystories"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--compare", metavar="FILE",
                    help="JSON lines from `bitnet-tui bench --json` to compare with")
    args = ap.parse_args()
    ours = {}
    if args.compare:
        with open(args.compare) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    ours[(r["config"], r["threads"])] = r
    if ours:
        print(f"{'config':<12} {'threads':>7} {'bitnet-tui tok/s':>17} "
              f"{'PyTorch tok/s':>14} {'ratio':>6} {'bitnet-tui MiB':>15} "
              f"{'PyTorch MiB':>12} {'ratio':>6} {'ceiling tok/s':>14} {'ceiling ratio':>13}")
    for name in args.experiments:
        for t in args.threads:
            r = bench_in_child(name, t, args.steps)
            o = ours.get((name, t))
            if o:
                ours_rss = o.get("peak_rss_mib", float("nan"))
                print(f"{name:<12} {t:>7} {o['tokens_per_sec']:>17.0f} "
                      f"{r['tokens_per_sec']:>14.0f} {o['tokens_per_sec'] / r['tokens_per_sec']:>5.2f}x "
                      f"{ours_rss:>15.0f} {r['peak_rss_mib']:>12.0f} "
                      f"{r['peak_rss_mib'] / ours_rss:>5.2f}x {ceiling_columns(o, r)}",
                      flush=True)
            elif not ours:
                print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
