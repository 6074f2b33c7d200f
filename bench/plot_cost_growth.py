"""Plots the cost-growth sweeps of bench/cost_growth.sh and prints them as a Markdown table.

Reads the JSON-lines file the sweep script appends to (one object per point; where a sweep and x
appear more than once, the last record wins, so a re-run point replaces the old one) and writes
a PNG with one subplot per sweep, log-scale x: throughput on the left axis, and on the right axis
bytes per queued message (depth), MB/s (size) or the broker's peak resident memory (queues,
connections). Then prints a Markdown table of every point to stdout.

Needs matplotlib from Debian (python3-matplotlib, which bench/cost_growth.sh installs), so run it
with Debian's /usr/bin/python3.

usage: /usr/bin/python3 bench/plot_cost_growth.py [IN.jsonl] [OUT.png]
  IN default bench/results/cost_growth.jsonl, OUT default docs/cost_growth.png
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEPS = ["depth", "size", "queues", "connections"]
TITLES = {
    "depth": "Queue depth (100-byte messages queued)",
    "size": "Message size (bytes)",
    "queues": "Number of queues",
    "connections": "Connections (1: produce only)",
}
MIB = 1024 * 1024


def load(path):
    points = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            points[(r["sweep"], r["x"])] = r
    by_sweep = {s: [] for s in SWEEPS}
    for (sweep, _), r in points.items():
        by_sweep.setdefault(sweep, []).append(r)
    for rs in by_sweep.values():
        rs.sort(key=lambda r: r["x"])
    return by_sweep


def num(v, fmt="{:,.0f}"):
    return "–" if v is None else fmt.format(v)


def mib(v):
    return "–" if v is None else f"{v / MIB:,.0f}"


def size_label(x):
    if x >= 1024 and x % 1024 == 0:
        return f"{x // 1024} KiB"
    return f"{x} B"


def count_label(x):
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if x >= div and x % div == 0:
            return f"{x // div}{suffix}"
    return f"{x:,}"


def table(by_sweep):
    out = [
        "| sweep | x | mode | msgs/s | p99 | broker RSS MiB | peak RSS MiB | notes |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for sweep in by_sweep:
        for r in by_sweep[sweep]:
            x = r["x"]
            notes = []
            if sweep == "depth":
                xs = count_label(x)
                notes.append(f"fill {num(r.get('fill_msgs_per_s'))} msgs/s")
                notes.append(f"drain {num(r.get('drain_msgs_per_s'))} msgs/s")
                notes.append(f"{num(r.get('bytes_per_msg'))} B per queued message")
            elif sweep == "size":
                xs = size_label(x)
                notes.append(f"{num(r.get('mb_per_s'), '{:,.1f}')} MB/s")
            elif sweep == "connections":
                xs = f"{x:,}"
                notes.append(f"{r.get('producers')} producers, {r.get('consumers')} consumers")
            else:
                xs = f"{x:,}"
            if r.get("procs", 1) > 1:
                notes.append(f"{r['procs']} symphony-bench processes")
            if r.get("msgs") is not None and r["msgs"] < r.get("count", 0):
                notes.append(f"only {r['msgs']:,.0f} of {r['count']:,} msgs (time limit)")
            if r.get("errors"):
                notes.append(f"{r['errors']} errors")
            p99 = r.get("p99_us")
            p99s = "–" if p99 is None else f"{p99 / 1000:,.1f} ms"
            out.append(
                f"| {sweep} | {xs} | {r.get('mode', '')} | {num(r.get('msgs_per_s'))} | {p99s} "
                f"| {mib(r.get('rss_bytes'))} | {mib(r.get('rss_peak_bytes'))} "
                f"| {'; '.join(notes)} |"
            )
    runs = sorted({r.get("runs") for rs in by_sweep.values() for r in rs} - {None})
    out.append("")
    out.append(
        f"Medians of {'/'.join(map(str, runs)) or '?'} runs. Depth: msgs/s is e2e at that "
        "standing depth, RSS is with the depth queued. Others: RSS at the end of the run; "
        "peak RSS is the broker's VmHWM."
    )
    return "\n".join(out)


def plot(by_sweep, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(2, 2, figsize=(13, 10.5))
    kfmt = FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}")
    for ax, sweep in zip(axes.flat, SWEEPS):
        rs = by_sweep.get(sweep, [])
        ax.set_title(TITLES[sweep])
        if not rs:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            continue
        xs = [r["x"] for r in rs]
        ax.set_xscale("log")
        ax.set_ylabel("msgs/s")
        ax.yaxis.set_major_formatter(kfmt)
        ax.grid(True, which="major", alpha=0.3)
        lines = []
        if sweep == "depth":
            lines += ax.plot(xs, [r["msgs_per_s"] for r in rs], "o-", color="C0",
                             label="e2e at depth")
            lines += ax.plot(xs, [r.get("fill_msgs_per_s") for r in rs], "s--", color="C2",
                             label="fill (produce)")
            lines += ax.plot(xs, [r.get("drain_msgs_per_s") for r in rs], "^--", color="C4",
                             label="drain (consume)")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count_label(int(v))))
            right_vals = [r.get("bytes_per_msg") for r in rs]
            right_label = "broker bytes per queued message"
        else:
            label = "e2e msgs/s"
            if sweep == "connections":
                label = "msgs/s (1: produce, else e2e)"
            lines += ax.plot(xs, [r["msgs_per_s"] for r in rs], "o-", color="C0", label=label)
            if sweep == "size":
                ax.set_xticks(xs)
                ax.set_xticklabels([size_label(x) for x in xs])
                right_vals = [r.get("mb_per_s") for r in rs]
                right_label = "MB/s of payload"
            else:
                ax.set_xticks(xs)
                ax.set_xticklabels([f"{x:,}" for x in xs])
                right_vals = [
                    None if r.get("rss_peak_bytes") is None else r["rss_peak_bytes"] / MIB
                    for r in rs
                ]
                right_label = "broker peak RSS (MiB)"
            for r in rs:
                if r.get("procs", 1) > 1:
                    ax.annotate(f"{r['procs']} procs", (r["x"], r["msgs_per_s"]),
                                textcoords="offset points", xytext=(-10, 8), fontsize=8)
        if sweep == "size":
            ax.set_yscale("log")  # 16 B to 64 KiB spans over two decades of msgs/s
            ax.yaxis.set_major_formatter(kfmt)
        else:
            ax.set_ylim(bottom=0)
        ax2 = ax.twinx()
        lines += ax2.plot(xs, right_vals, "d:", color="C3", label=right_label)
        ax2.set_ylabel(right_label, color="C3")
        ax2.tick_params(axis="y", colors="C3")
        ax2.set_ylim(bottom=0)
        # below the axes, where no line can be under it
        ax.legend(lines, [ln.get_label() for ln in lines], loc="upper center",
                  bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    runs = sorted({r.get("runs") for rs in by_sweep.values() for r in rs} - {None})
    fig.suptitle(
        "Symphony cost growth (bench/cost_growth.sh; medians of "
        f"{'/'.join(map(str, runs)) or '?'} runs, fresh broker per run)"
    )
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print(f"wrote {png}", file=sys.stderr)


def main():
    default_src = os.path.join(ROOT, "bench/results/cost_growth.jsonl")
    src = sys.argv[1] if len(sys.argv) > 1 else default_src
    png = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs/cost_growth.png")
    by_sweep = load(src)
    if not any(by_sweep.values()):
        sys.exit(f"{src}: no records")
    plot(by_sweep, png)
    print(table(by_sweep))


if __name__ == "__main__":
    main()
