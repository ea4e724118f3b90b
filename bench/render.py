"""Renders the benchmark results (bench/results/*.json) as Markdown."""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}"


def commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table(columns, rows):
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(results_dir):
    results = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        with open(path) as f:
            results.append(json.load(f))
    results.sort(key=lambda r: r["row"])
    print("# Benchmarks\n")
    print("Written by `bash bench/run.sh` (do not edit by hand). Every figure is")
    print("measured beside its anchor in the same run; on these shared machines an")
    print("absolute time moves 10–20 % between runs, so read the ratios.\n")
    print(f"- machine: {machine()}")
    print(f"- commit: `{commit()}`; rendered {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    print(table(["row", "what", "figure", "goal", "met"],
                [[r["row"], r["title"], r["summary"], r["goal"], "yes" if r["met"] else "**no**"] for r in results]))
    for r in results:
        print(f"\n## {r['row']}. {r['title']}\n")
        print(f"`{r['command']}`\n")
        print(table(r["columns"], r["rows"]))
        print(f"\nGoal: {r['goal']} — {'met' if r['met'] else '**missed**'}: {r['summary']}.")
        if r.get("notes"):
            print(f"\n{r['notes']}")
    # What was changed to reach the goals: written by hand, kept in the repo.
    changes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "changes.md")
    if os.path.exists(changes):
        with open(changes) as f:
            print("\n" + f.read().strip())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
