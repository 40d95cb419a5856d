#!/usr/bin/python3
"""Summarise bench/timer's results for bench/run: medians, p10-p90, ratios; text and Markdown.

usage: report.py RESULTS.tsv META.tsv OUTPUT.md

RESULTS lines are "scenario:runtime:step:iteration  wall_ns  cpu_us  maxrss_kb  failed" (see
timer.c); META lines are "key  value..." written by bench/run. The Markdown goes to OUTPUT only
when every command succeeded, so a broken run never replaces good figures. Exit status 1 then.
"""
import collections
import sys

RUNTIME_ORDER = ["berth", "crun", "runc"]


def percentile(values, q):
    """Linear interpolation between closest ranks, as numpy's default does."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


class Metric:
    """One row: a sample list per runtime, shown as median (p10-p90) or as a single figure."""

    def __init__(self, label, unit, samples, spread=True, digits=2):
        self.label, self.unit, self.samples = label, unit, samples
        self.spread, self.digits = spread, digits

    def median(self, rt):
        s = self.samples.get(rt)
        return percentile(s, 0.5) if s else None

    def cell(self, rt):
        s = self.samples.get(rt)
        if not s:
            return "–"
        fmt = f"{{:.{self.digits}f}}"
        text = fmt.format(percentile(s, 0.5))
        if self.spread and len(s) > 1:
            text += f" ({fmt.format(percentile(s, 0.1))}–{fmt.format(percentile(s, 0.9))})"
        return text


def load_results(path):
    rows = collections.defaultdict(dict)  # (scenario, runtime, step) -> {iteration: (wall, cpu, rss)}
    failures = []
    with open(path) as f:
        for line in f:
            tag, wall, cpu, rss, failed = line.rstrip("\n").split("\t")
            scenario, rt, step, it = tag.split(":")
            if int(failed):
                failures.append(f"{tag}: {failed} command(s) failed")
            rows[(scenario, rt, step)][int(it)] = (int(wall) / 1e6, int(cpu) / 1e3, int(rss))
    return rows, failures


def load_meta(path):
    meta, runtimes = {}, {}
    with open(path) as f:
        for line in f:
            key, *values = line.rstrip("\n").split("\t")
            if key == "runtime":
                name, version, size, stripped, libs, ns = values
                runtimes[name] = {"version": version, "size": int(size), "stripped": int(stripped),
                                  "libs": int(libs), "ns": ns}
            else:
                meta[key] = values[0]
    return meta, runtimes


def build_metrics(rows, runtimes):
    def per_call(scenario, step, index=0):
        return {rt: [v[index] for v in rows[(scenario, rt, step)].values()]
                for rt in runtimes if (scenario, rt, step) in rows}

    def lifecycle(scenario, index=0):
        """A lifecycle is one `run` (create, start, wait, delete)."""
        return per_call(scenario, "run", index)

    life, life_cpu = lifecycle("lifecycle"), lifecycle("lifecycle", 1)
    floor = [v[0] for v in rows.get(("lifecycle", "unshare", "run"), {}).values()]
    metrics = [
        Metric("lifecycle: `run` of /bin/true", "ms", life),
        Metric("lifecycle: CPU (user + sys)", "ms", life_cpu),
        Metric("lifecycle: whole loop, wall", "s", {rt: [sum(v) / 1e3] for rt, v in life.items()},
               spread=False),
        Metric("lifecycle: whole loop, CPU", "s", {rt: [sum(v) / 1e3] for rt, v in life_cpu.items()},
               spread=False),
    ]
    if floor:
        f = percentile(floor, 0.5)
        metrics.append(Metric(f"lifecycle / kernel floor (unshare: {f:.2f} ms)", "×",
                              {rt: [percentile(v, 0.5) / f] for rt, v in life.items()}, spread=False))
    metrics += [
        Metric("create", "ms", per_call("steps", "create")),
        Metric("start", "ms", per_call("steps", "start")),
        Metric("delete", "ms", per_call("steps", "delete")),
        Metric("exec of /bin/true", "ms", per_call("exec", "exec")),
        Metric("peak RSS during create", "MiB",
               {rt: [kb / 1024 for kb in v] for rt, v in per_call("steps", "create", 2).items()}),
        Metric("peak RSS during exec", "MiB",
               {rt: [kb / 1024 for kb in v] for rt, v in per_call("exec", "exec", 2).items()}),
        Metric("20 creates in parallel, total", "ms", per_call("parallel", "create")),
        Metric("lifecycle with seccomp (same profile)", "ms", lifecycle("seccomp")),
        Metric("lifecycle with seccomp (new profile each)", "ms", lifecycle("seccomp-cold")),
    ]
    for scenario, label in (("seccomp", "same profile"), ("seccomp-cold", "new profile each")):
        with_filter = lifecycle(scenario)
        metrics.append(Metric(f"seccomp cost ({label} − plain)", "ms",
                              {rt: [percentile(with_filter[rt], 0.5) - percentile(life[rt], 0.5)]
                               for rt in with_filter if rt in life}, spread=False))
    metrics += [
        Metric("binary size (stripped)", "KiB",
               {rt: [m["stripped"] / 1024] for rt, m in runtimes.items()}, spread=False, digits=0),
        Metric("shared libraries loaded", "", {rt: [m["libs"]] for rt, m in runtimes.items()},
               spread=False, digits=0),
    ]
    return metrics


def ratio(metric, a, b):
    x, y = metric.median(a), metric.median(b)
    if x is None or y is None or y <= 0 or metric.unit in ("×",) or "cost" in metric.label:
        return "–"
    return f"{x / y:.2f}×"


def table(metrics, rts):
    head = ["scenario"] + rts
    ratios = [(a, b) for a, b in (("berth", "crun"), ("berth", "runc")) if a in rts and b in rts]
    head += [f"{a}/{b}" for a, b in ratios]
    body = []
    for m in metrics:
        unit = f" ({m.unit})" if m.unit else ""
        body.append([m.label + unit] + [m.cell(rt) for rt in rts] + [ratio(m, a, b) for a, b in ratios])
    return head, body


def main():
    results_path, meta_path, output = sys.argv[1:4]
    rows, failures = load_results(results_path)
    meta, runtimes = load_meta(meta_path)
    rts = [rt for rt in RUNTIME_ORDER if rt in runtimes]
    metrics = build_metrics(rows, {rt: runtimes[rt] for rt in rts})
    head, body = table(metrics, rts)

    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    print()
    for r in [head] + body:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print("\nmedian (p10–p90);", meta["iterations"])
    print("load average", meta["load"])
    for rt in rts:
        note = " — run in a private mount namespace without /sys/fs/cgroup/unified" \
            if runtimes[rt]["ns"] == "nocg2" else ""
        print(f"{rt}: {runtimes[rt]['version']}{note}")
    if failures:
        print(f"\n{len(failures)} measured command(s) failed; {output} left unchanged:", file=sys.stderr)
        for f in failures[:20]:
            print("  " + f, file=sys.stderr)
        return 1

    md = ["# berth benchmark", "",
          f"Measured by `bench/run{' --quick' if meta['quick'] == '1' else ''} --runtimes {','.join(rts)}`"
          f" on {meta['date']}: Linux {meta['kernel']}, {meta['cpu']}; load average"
          f" {meta['load']} (other work on the machine slows every runtime alike; compare"
          " the ratios).", "",
          "| runtime | version | binary (stripped) | mount namespace |", "|---|---|---|---|"]
    for rt in rts:
        m = runtimes[rt]
        ns = ("private, without /sys/fs/cgroup/unified (crun 1.8.1 refuses hybrid cgroups)"
              if m["ns"] == "nocg2" else "the host's")
        md.append(f"| {rt} | {m['version']} | {m['stripped'] // 1024} KiB | {ns} |")
    md += ["", "Each cell is the median and, in brackets, p10–p90 over the iterations "
           f"({meta['iterations']}), all runtimes interleaved on one busybox-static bundle. "
           f"The seccomp profile has {meta['seccomp_rules']}, generated from the kernel's "
           "syscall table by bench/seccomp-profile.py; \"new profile each\" changes it every "
           "time, so no cache can help.", "",
           "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(r) + " |" for r in body]
    with open(output, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
