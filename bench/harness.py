#!/usr/bin/env python3
"""Runs proctord and the Python reference pipeline side by side, interleaved, on the same
inputs and configs, and writes bench/out/results.json plus a markdown table.

Standard library only (runs under any python3). Called by bench/run.sh; see bench/README.md.

Per run, per video, per mode, both pipelines run one after the other (the order alternates
between runs), each as a child process whose CPU time and peak RSS come from wait4()'s
rusage. Time to first inference is measured separately: `detect --json` is started with
the daemon's default config and killed as soon as its first line (the first analysed
frame) arrives. The raw invoke floor comes from `bench_invoke` (same models, same threads).
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time

MODES = {
    # name: (description, config text)
    "face_only": ("face only, every frame", '[models]\nobjects = ""\n[detection]\nmax_analysis_fps = 0.0\n'),
    "face_objects": ("face + objects, every frame", "[detection]\nmax_analysis_fps = 0.0\nobjects_every_n_frames = 1\n"),
    "default": ("daemon default (<=10 fps, objects every 3rd)", "[detection]\nmax_analysis_fps = 10.0\nobjects_every_n_frames = 3\n"),
}


def read_proc_stat():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts]
    idle = v[3] + v[4]
    return sum(v[:8]), idle


def run_child_rusage(cmd, cwd):
    tick = os.sysconf("SC_CLK_TCK")
    total0, idle0 = read_proc_stat()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read both pipes without waiting for the child (communicate would reap it).
    chunks = {"out": [], "err": []}

    def drain(stream, key):
        for block in iter(lambda: stream.read(65536), b""):
            chunks[key].append(block)

    threads = [threading.Thread(target=drain, args=(p.stdout, "out")), threading.Thread(target=drain, args=(p.stderr, "err"))]
    for t in threads:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    total1, idle1 = read_proc_stat()
    out, err = b"".join(chunks["out"]).decode(), b"".join(chunks["err"]).decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{err[-2000:]}")
    busy = ((total1 - total0) - (idle1 - idle0)) / tick
    cpu = ru.ru_utime + ru.ru_stime
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "max_rss_mb": ru.ru_maxrss / 1024.0,
        # CPU the rest of the machine used meanwhile (other users' builds), in cores.
        "others_cores": max(busy - cpu, 0.0) / wall if wall > 0 else 0.0,
        "loadavg_1m_before": load0,
    }, out


def time_to_first_line(cmd, cwd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    t = time.perf_counter() - t0
    p.send_signal(signal.SIGKILL)
    p.wait()
    if not line.strip():
        raise RuntimeError(f"{' '.join(cmd)} printed nothing")
    return t


def video_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def count_frames(out, command):
    if command == "analyze":
        summary = json.loads(out.strip().splitlines()[-1])
        return summary.get("frames_analysed", summary["frames"]), summary
    return sum(1 for line in out.splitlines() if line.startswith("{")), None


def same_events(a, b, tol_s=0.5):
    """Same kinds in the same order, onsets and durations within tol_s."""
    ea, eb = a.get("events", []), b.get("events", [])
    return len(ea) == len(eb) and all(x[0] == y[0] and abs(x[1] - y[1]) <= tol_s and abs(x[2] - y[2]) <= tol_s for x, y in zip(ea, eb))


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--proctord", required=True)
    ap.add_argument("--bench-invoke", help="daemon bench_invoke example (the raw invoke floor); skipped when absent")
    ap.add_argument("--python", required=True, help="the venv's python")
    ap.add_argument("--pipeline", required=True, help="bench/python/pipeline.py")
    ap.add_argument("--python-args", default="", help="extra flags for pipeline.py analyze, e.g. --objects-thread")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--invoke-n", type=int, default=100)
    ap.add_argument("--bench-mqtt", help="daemon bench_mqtt example; run --runs times after the pipelines")
    ap.add_argument("videos", nargs="+")
    a = ap.parse_args()
    repo = os.getcwd()
    os.makedirs(a.out, exist_ok=True)
    modes = [m for m in a.modes.split(",") if m]

    configs = {}
    for m in modes:
        path = os.path.join(a.out, f"config_{m}.toml")
        with open(path, "w") as f:
            f.write(f"# bench/harness.py: {MODES[m][0]}\n" + MODES[m][1])
        configs[m] = path
    default_cfg = configs.get("default") or os.path.join(a.out, "config_default.toml")
    if "default" not in configs:
        with open(default_cfg, "w") as f:
            f.write(MODES["default"][1])

    has_analyze = subprocess.run([a.proctord, "analyze", "--help"], capture_output=True).returncode == 0
    command = "analyze" if has_analyze else "detect"
    print(f"harness: full pipeline = `{command}` ({'rules included' if has_analyze else 'proctord analyze not built yet: detect --json, no rules'})", file=sys.stderr)

    def cmd(pipeline, sub, video, cfg):
        if pipeline == "proctord":
            return [a.proctord, sub, "--input", video, "--config", cfg, "--json"]
        extra = a.python_args.split() if sub == "analyze" else []
        return [a.python, a.pipeline, sub, "--input", video, "--config", cfg, "--json"] + extra

    durations = {v: video_duration(v) for v in a.videos}
    runs = []
    invoke = []
    startup = []
    decode = []
    failures = []
    t_start = time.time()
    for r in range(a.runs):
        order = ["proctord", "python"] if r % 2 == 0 else ["python", "proctord"]
        for v in a.videos:
            if a.bench_invoke:
                res, out = run_child_rusage([a.bench_invoke, "--input", v, "--n", str(a.invoke_n)], repo)
                rec = json.loads(out.strip().splitlines()[-1])
                rec.update({"run": r, "video": v, "others_cores": res["others_cores"]})
                invoke.append(rec)
            # Decode-only floors: proctord's GStreamer path (uridecodebin ! videoconvert ! RGB)
            # and OpenCV's read() + cvtColor, every frame, no inference.
            for p in order:
                if p == "proctord":
                    dcmd = ["gst-launch-1.0", "-q", "uridecodebin", f"uri=file://{os.path.abspath(v)}", "!", "videoconvert", "!",
                            "video/x-raw,format=RGB", "!", "fakesink", "sync=false"]
                else:
                    dcmd = [a.python, a.pipeline, "decode", "--input", v]
                res, _ = run_child_rusage(dcmd, repo)
                decode.append({"run": r, "video": v, "pipeline": p, **res})
            for p in order:
                t = time_to_first_line(cmd(p, "detect", v, default_cfg), repo)
                startup.append({"run": r, "video": v, "pipeline": p, "first_inference_s": t})
            for m in modes:
                for p in order:
                    try:
                        res, out = run_child_rusage(cmd(p, command, v, configs[m]), repo)
                    except RuntimeError as e:
                        # One failed child (e.g. under a load spike) costs its row of this
                        # run, not the whole benchmark; it is listed in results.json/.md.
                        failures.append({"run": r, "video": v, "mode": m, "pipeline": p, "error": str(e)[-2000:]})
                        print(f"harness: run {r + 1}/{a.runs} {os.path.basename(v)} {m} {p} FAILED: {str(e)[-300:]}", file=sys.stderr)
                        continue
                    frames, summary = count_frames(out, command)
                    res.update({"run": r, "video": v, "mode": m, "pipeline": p, "command": command, "frames": frames,
                                "video_s": durations[v], "fps": frames / res["wall_s"],
                                "cpu_s_per_video_s": res["cpu_s"] / durations[v],
                                "ms_per_frame": 1000.0 * res["wall_s"] / max(frames, 1)})
                    if summary is not None:
                        res["summary"] = {k: summary[k] for k in ("frames", "integrity_score", "python_ms_per_analysed_frame") if k in summary}
                        res["summary"]["events"] = sorted((e.get("kind"), round(e.get("started_at_s", 0), 2), round(e.get("duration_s", 0) or 0, 2))
                                                          for e in summary.get("events", []))
                    runs.append(res)
                    print(f"harness: run {r + 1}/{a.runs} {os.path.basename(v)} {m:<12} {p:<8} "
                          f"{res['fps']:7.1f} fps  {res['cpu_s_per_video_s']:.3f} cpu-s/video-s  {res['max_rss_mb']:6.1f} MB  "
                          f"others {res['others_cores']:.2f} cores", file=sys.stderr)

    mqtt = []
    if a.bench_mqtt:
        for r in range(a.runs):
            res, out = run_child_rusage([a.bench_mqtt, "--events", "1000", "--rate", "50", "--backlog", "10000"], repo)
            rec = json.loads(out.strip().splitlines()[-1])
            rec.update({"run": r, "others_cores": res["others_cores"]})
            mqtt.append(rec)
            print(f"harness: run {r + 1}/{a.runs} mqtt  PUBACK p50 {rec['latency']['p50_ms']:.1f} ms p99 {rec['latency']['p99_ms']:.1f} ms  "
                  f"drain {rec['drain']['drain_rate_per_s']:.0f}/s", file=sys.stderr)

    # ---- summary
    def sel(**kw):
        return [x for x in runs if all(x.get(k) == val for k, val in kw.items())]

    rows = []
    summary = {"videos": {}}
    for v in a.videos:
        vs = {"duration_s": durations[v], "modes": {}}
        inv = [x for x in invoke if x["video"] == v]
        face_inv = median(x["face_invoke"]["median_ms"] for x in inv)
        obj_inv = median(x["objects_invoke"]["median_ms"] for x in inv)
        face_det = median(x["face_detect"]["median_ms"] for x in inv)
        obj_det = median(x["objects_detect"]["median_ms"] for x in inv)
        vs["raw_invoke_ms"] = {"face": face_inv, "objects": obj_inv}
        vs["detector_call_ms"] = {"face": face_det, "objects": obj_det}
        st = {p: median(x["first_inference_s"] for x in startup if x["video"] == v and x["pipeline"] == p) for p in ("proctord", "python")}
        st_ratio = median(
            [x["first_inference_s"] / y["first_inference_s"] for x in startup for y in startup
             if x["video"] == v == y["video"] and x["run"] == y["run"] and x["pipeline"] == "proctord" and y["pipeline"] == "python"])
        vs["first_inference_s"] = {**st, "ratio": st_ratio}
        vs["decode_only"] = {p: {k: median(x[k] for x in decode if x["video"] == v and x["pipeline"] == p)
                                 for k in ("wall_s", "cpu_s", "max_rss_mb")} for p in ("proctord", "python")}
        vs["decode_only"]["what"] = {"proctord": "gst-launch-1.0 uridecodebin ! videoconvert ! RGB ! fakesink",
                                     "python": "cv2.VideoCapture.read() + cvtColor(BGR2RGB)"}
        for m in modes:
            ms = {}
            for metric in ("fps", "cpu_s_per_video_s", "max_rss_mb", "ms_per_frame", "wall_s", "frames", "others_cores"):
                pr = {p: median(x[metric] for x in sel(video=v, mode=m, pipeline=p)) for p in ("proctord", "python")}
                ratios = []
                for r in range(a.runs):
                    x, y = sel(video=v, mode=m, pipeline="proctord", run=r), sel(video=v, mode=m, pipeline="python", run=r)
                    if x and y and y[0][metric]:
                        ratios.append(x[0][metric] / y[0][metric])
                ms[metric] = {**pr, "ratio": median(ratios)}
            raw = face_inv + (obj_inv if m == "face_objects" else 0.0) if invoke else None
            if m != "default" and raw:
                per_frame = ms["ms_per_frame"]["proctord"]
                ms["proctord_overhead_over_raw_invoke"] = {
                    "raw_invoke_ms_per_frame": raw,
                    "pipeline_ms_per_frame": per_frame,
                    "end_to_end": per_frame / raw - 1.0,
                    "steady_state": (per_frame - 1000.0 * st["proctord"] / max(ms["frames"]["proctord"], 1)) / raw - 1.0,
                }
            evs = {p: [x.get("summary") for x in sel(video=v, mode=m, pipeline=p)] for p in ("proctord", "python")}
            if evs["proctord"] and evs["proctord"][0] is not None:
                ms["same_events"] = same_events(evs["proctord"][0], evs["python"][0]) if evs["python"] else None
                ms["summary_example"] = {p: evs[p][0] for p in evs}
            vs["modes"][m] = ms
        summary["videos"][v] = vs

    if mqtt:
        summary["mqtt"] = {
            "puback_latency_ms": {k: median(x["latency"][k] for x in mqtt) for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")},
            "events_per_run": 1000, "rate_per_s": 50,
            "drain_rate_per_s": median(x["drain"]["drain_rate_per_s"] for x in mqtt),
            "backlog": 10000,
            "append_rate_per_s_broker_down": median(x["drain"]["append_rate_per_s_broker_down"] for x in mqtt),
        }
    machine = {
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "kernel": platform.release(),
        "loadavg_at_end": os.getloadavg(),
    }
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t_start)),
        "proctord": os.path.abspath(a.proctord),
        "python_args": a.python_args,
        "elapsed_s": time.time() - t_start,
        "runs": a.runs,
        "full_pipeline_command": command,
        "machine": machine,
        "summary": summary,
        "raw": {"pipeline_runs": runs, "invoke": invoke, "startup": startup, "decode": decode, "mqtt": mqtt},
        "failed_runs": failures,
    }
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)

    md = markdown(result, modes)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    print(md)


def fmt(x, d=1):
    if x is None:
        return "–"
    return f"{x:.{d}f}"


def markdown(result, modes):
    lines = []
    m = result["machine"]
    others = [x["others_cores"] for x in result["raw"]["pipeline_runs"]]
    lines.append(f"Machine: {m['cpus']} cores {m['arch']} ({m['cpu_model']}); {result['runs']} runs each, interleaved; "
                 f"proctord = `{result['proctord']}`; python flags: `{result['python_args'] or '(none)'}`; "
                 f"full pipeline = `{result['full_pipeline_command']}`; load from other processes during the runs: "
                 f"median {fmt(median(others), 2)} cores, max {fmt(max(others) if others else None, 2)} cores.")
    for f in result["failed_runs"]:
        lines.append(f"- FAILED (left out of the medians): run {f['run'] + 1}, {os.path.basename(f['video'])}, {f['mode']}, "
                     f"{f['pipeline']}: {f['error'].strip().splitlines()[-1]}")
    lines.append("")
    lines.append("| video | mode | metric | proctord | python | proctord / python |")
    lines.append("|---|---|---|---:|---:|---:|")
    for v, vs in result["summary"]["videos"].items():
        name = os.path.basename(v)
        st = vs["first_inference_s"]
        lines.append(f"| {name} | default config | start → first inference (s) | {fmt(st['proctord'], 3)} | {fmt(st['python'], 3)} | {fmt(st['ratio'], 2)} |")
        for mode in modes:
            ms = vs["modes"][mode]
            desc = MODES[mode][0]
            lines.append(f"| {name} | {desc} | frames/s (wall, end to end) | {fmt(ms['fps']['proctord'])} | {fmt(ms['fps']['python'])} | {fmt(ms['fps']['ratio'], 2)} |")
            lines.append(f"| {name} | {desc} | CPU s per video s | {fmt(ms['cpu_s_per_video_s']['proctord'], 3)} | {fmt(ms['cpu_s_per_video_s']['python'], 3)} | {fmt(ms['cpu_s_per_video_s']['ratio'], 2)} |")
            lines.append(f"| {name} | {desc} | peak RSS (MB) | {fmt(ms['max_rss_mb']['proctord'])} | {fmt(ms['max_rss_mb']['python'])} | {fmt(ms['max_rss_mb']['ratio'], 2)} |")
            lines.append(f"| {name} | {desc} | other processes meanwhile (cores, median) | {fmt(ms['others_cores']['proctord'], 2)} | {fmt(ms['others_cores']['python'], 2)} | |")
            if "same_events" in ms:
                ex = ms["summary_example"]
                lines.append(f"| {name} | {desc} | events (kinds, onsets and durations within 0.5 s) / integrity score | "
                             f"{len(ex['proctord']['events'])} / {fmt(ex['proctord']['integrity_score'], 1)} | "
                             f"{len(ex['python']['events'])} / {fmt(ex['python']['integrity_score'], 1)} | {'same' if ms['same_events'] else 'differ'} |")
    lines.append("")
    lines.append("Decode only (every frame to RGB, no inference), medians:")
    lines.append("")
    lines.append("| video | proctord path: GStreamer wall s / CPU s / RSS MB | python path: OpenCV wall s / CPU s / RSS MB |")
    lines.append("|---|---|---|")
    for v, vs in result["summary"]["videos"].items():
        d = vs["decode_only"]
        cell = lambda p: f"{fmt(d[p]['wall_s'], 2)} / {fmt(d[p]['cpu_s'], 2)} / {fmt(d[p]['max_rss_mb'], 0)}"
        lines.append(f"| {os.path.basename(v)} | {cell('proctord')} | {cell('python')} |")
    lines.append("")
    if result["raw"]["invoke"]:  # bench_invoke ran
        lines.append("proctord overhead over the raw model invoke (bench_invoke: same models, threads and frame size):")
        lines.append("")
        lines.append("| video | mode | raw invoke ms/frame | proctord ms/frame (end to end) | overhead end to end | overhead after start-up | in-process detector call vs invoke |")
        lines.append("|---|---|---:|---:|---:|---:|---|")
        for v, vs in result["summary"]["videos"].items():
            name = os.path.basename(v)
            ri, dc = vs["raw_invoke_ms"], vs["detector_call_ms"]
            for mode in modes:
                o = vs["modes"][mode].get("proctord_overhead_over_raw_invoke")
                if not o:
                    continue
                if mode == "face_only":
                    inproc = f"face {fmt(dc['face'], 2)} vs {fmt(ri['face'], 2)} ms (+{fmt(100 * (dc['face'] / ri['face'] - 1), 0)} %)"
                else:
                    both_d, both_i = dc["face"] + dc["objects"], ri["face"] + ri["objects"]
                    inproc = f"face+SSD {fmt(both_d, 2)} vs {fmt(both_i, 2)} ms (+{fmt(100 * (both_d / both_i - 1), 0)} %)"
                lines.append(f"| {name} | {MODES[mode][0]} | {fmt(o['raw_invoke_ms_per_frame'], 2)} | {fmt(o['pipeline_ms_per_frame'], 2)} | "
                             f"{fmt(100 * o['end_to_end'], 0)} % | {fmt(100 * o['steady_state'], 0)} % | {inproc} |")
    mq = result["summary"].get("mqtt")
    if mq:
        lat = mq["puback_latency_ms"]
        lines.append("")
        lines.append(f"MQTT (bench_mqtt, local mosquitto, medians of {result['runs']} runs): event → PUBACK at {mq['rate_per_s']} events/s: "
                     f"p50 {fmt(lat['p50_ms'], 1)} ms, p90 {fmt(lat['p90_ms'], 1)} ms, p99 {fmt(lat['p99_ms'], 1)} ms, max {fmt(lat['max_ms'], 1)} ms; "
                     f"outbox drain after an outage ({mq['backlog']} events): {fmt(mq['drain_rate_per_s'], 0)} events/s "
                     f"(appending with the broker down: {fmt(mq['append_rate_per_s_broker_down'], 0)} events/s).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
