"""report.md and the plots of a networks run: whole-model times and errors, and where the
time goes, layer by layer, ours against torch's."""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from harness import files  # noqa: E402
from harness.report import fmt, fmt_time  # noqa: E402

TOP_LAYERS = 15  # layers per network in report.md (layers.csv has them all)


def write(out: str, data: dict) -> None:
    plots = {}
    for network in dict.fromkeys(r["network"] for r in data["layers"]):
        layers = [r for r in data["layers"] if r["network"] == network]
        rows = [r for r in data["rows"] if r["network"] == network and r.get("mode") == "eval"]
        plots[network] = f"plots/{network}_{layers[0]['dtype']}_layers.png"
        fig = layer_plot(network, layers, rows, data["config"]["algos"])
        files.save_figure(fig, os.path.join(out, plots[network]))
        plt.close(fig)
    if data["rows"]:
        fig = speedup_plot(data["rows"])
        files.save_figure(fig, os.path.join(out, "plots", "networks_speedup.png"))
        plt.close(fig)
    files.write_text(os.path.join(out, "report.md"), render(data, plots))


def render(data: dict, plots: dict) -> str:
    m, c = data["machine"], data["config"]
    lines = [f"# Networks: torch against kernels ({data['run_id']})", ""]
    if data.get("note"):
        lines += [data["note"], ""]
    lines += [f"- machine: {m['cpu']}, {m['cores']} cores, {m['threads']} threads for torch and Numba "
              f"(Numba threading layer {m.get('numba_threading_layer')}), load average at start "
              f"{fmt(m.get('load_average'), '.2f')}",
              "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
              f"- {c['dtype']}, batch {c['batch']}, {'small variants, ' if c['small'] else ''}"
              f"median of {c['repeats']} interleaved rounds (spread: the quartiles); first call "
              f"(compile, auto's timing) apart",
              "- speedup = torch's median / ours; error: max |ours - torch float64| / max |torch "
              "float64| (eval: the output; train: the loss, and the largest parameter gradient)",
              "", "![speedup](plots/networks_speedup.png)", "",
              "| network | input | mode | impl | median | q1 - q3 | speedup | first call | error | grad error "
              "| status |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in data["rows"]:
        spread = f"{fmt_time(r.get('q1_s'))} - {fmt_time(r.get('q3_s'))}" if r.get("q1_s") else ""
        status = r["status"] + (f": {r['error']}" if r.get("error") else "")
        lines.append(f"| {r['network']} | {r.get('input', '')} | {r['mode']} | {r['impl']} | "
                     f"{fmt_time(r.get('median_s'))} | {spread} | {fmt(r.get('speedup_vs_torch'), '.3g')} | "
                     f"{fmt_time(r.get('first_s'))} | {fmt(r.get('out_rel_err'))} | "
                     f"{fmt(r.get('grad_rel_err'))} | {status} |")
    for network, path in plots.items():
        layers = [r for r in data["layers"] if r["network"] == network]
        lines += ["", f"## {network}: layer by layer (eval, each layer alone on its recorded input)", "",
                  f"![{network}]({path})", ""]
        for impl, text in data["reports"].get(network, {}).items():
            lines.append(f"- {impl}: {text.splitlines()[0].split(': ', 1)[-1]}")
        algos = c["algos"]
        totals = {k: sum(r.get(f"{k}_median_s") or 0 for r in layers) for k in ("torch", *algos)}
        lines += ["- sum over layers: " + ", ".join(f"{k if k == 'torch' else 'kernels-' + k} "
                                                     f"{fmt_time(v)}" for k, v in totals.items()), "",
                  "| layer | type | op | input | auto chose | torch | "
                  + " | ".join(f"ours ({a})" for a in algos) + f" | speedup ({main(c)}) |",
                  "|---|---|---|---|---|---|" + "---|" * (len(algos) + 1)]
        for r in sorted(layers, key=lambda r: -(r.get("torch_median_s") or 0))[:TOP_LAYERS]:
            lines.append(f"| {r['layer']} | {r['type']} | {r.get('op', '')} | {r['input_shape']} | "
                         f"{r.get('auto_algo', '')} | {fmt_time(r.get('torch_median_s'))} | "
                         + " | ".join(fmt_time(r.get(f"{a}_median_s")) for a in algos)
                         + f" | {fmt(r.get('speedup_vs_torch'), '.3g')} |")
        if len(layers) > TOP_LAYERS:
            lines.append(f"\n({len(layers) - TOP_LAYERS} more layers in layers.csv)")
    return "\n".join(lines) + "\n"


def main(config) -> str:
    return "auto" if "auto" in config["algos"] else config["algos"][0]


def layer_plot(network, layers, rows, algos):
    """Per-layer times (torch, ours) and the cumulative time along the network."""
    idx = np.arange(len(layers))
    ours = "auto" if "auto" in algos else algos[0]
    series = {k: np.array([r.get(f"{k}_median_s") or np.nan for r in layers]) * 1e3
              for k in ("torch", *algos)}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 0.12 * len(layers) + 4), 8), sharex=True)
    width = 0.4
    top.bar(idx - width / 2, series["torch"], width, label="torch", color="tab:gray")
    top.bar(idx + width / 2, series[ours], width, label=f"kernels ({ours})", color="tab:blue")
    top.set_yscale("log")
    top.set_ylabel("ms per layer (median)")
    top.set_title(f"{network}: where the time goes, layer by layer (eval; each layer alone)")
    top.legend()
    for k in series:
        if np.isfinite(series[k]).any():
            bottom.plot(idx, np.nancumsum(series[k]), "-" if k in ("torch", ours) else "--",
                        label="torch" if k == "torch" else f"kernels ({k})")
    for r in rows:
        if r.get("median_s") and r["impl"] in ("torch", f"kernels-{ours}"):
            bottom.axhline(r["median_s"] * 1e3, ls=":", color="tab:gray" if r["impl"] == "torch" else "tab:blue",
                           lw=1, label=f"whole model, {r['impl']}")
    bottom.set_ylabel("cumulative ms")
    bottom.set_xlabel("layer (forward order)")
    bottom.legend(fontsize=8)
    step = max(1, len(layers) // 40)
    bottom.set_xticks(idx[::step])
    bottom.set_xticklabels([layers[i]["type"] for i in idx[::step]], rotation=90, fontsize=7)
    fig.tight_layout()
    return fig


def speedup_plot(rows):
    """torch / ours per network, mode and algorithm; whiskers from the quartiles."""
    ok = [r for r in rows if r.get("status") == "ok" and r["impl"] != "torch" and r.get("speedup_vs_torch")]
    torch_rows = {(r["network"], r["mode"]): r for r in rows if r["impl"] == "torch" and r.get("status") == "ok"}
    labels = list(dict.fromkeys(r["network"] for r in rows))
    series = list(dict.fromkeys((r["mode"], r["impl"]) for r in ok))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels) + 2), 4))
    width = 0.8 / max(1, len(series))
    for i, (mode, impl) in enumerate(series):
        vals, lo, hi = [], [], []
        for net in labels:
            r = next((r for r in ok if r["network"] == net and r["mode"] == mode and r["impl"] == impl), None)
            t = torch_rows.get((net, mode))
            if r is None or t is None:
                vals.append(np.nan), lo.append(0), hi.append(0)
                continue
            v = r["speedup_vs_torch"]
            vals.append(v)
            lo.append(max(0.0, v - t["q1_s"] / r["q3_s"]))
            hi.append(max(0.0, t["q3_s"] / r["q1_s"] - v))
        ax.bar(np.arange(len(labels)) + i * width, vals, width, yerr=[lo, hi], capsize=2,
               label=f"{mode}, {impl}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2)
    ax.set_xticklabels(labels, rotation=20)
    ax.set_ylabel("speedup over torch (torch / ours)")
    ax.set_yscale("log")
    if series:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no timed rows", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    return fig
