"""process.execCPUAffinity (config.md, runtime-spec 1.2+): applies to exec'd processes only;
`final` is the affinity the process runs with once it is in the container."""
import json


def cpus_allowed(berth, cid, proc_file):
    r = berth.run("exec", "--process", proc_file, cid)
    return r.stdout.strip()


def test_exec_cpu_affinity_final_is_applied(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    proc = {"args": ["/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status | cut -f2"],
            "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
            "execCPUAffinity": {"initial": "0-1", "final": "1"}}
    (tmp_path / "p.json").write_text(json.dumps(proc))
    assert cpus_allowed(berth, cid, tmp_path / "p.json") == "1"


def test_exec_cpu_affinity_does_not_touch_the_init(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status | cut -f2"])
    b.config["process"]["execCPUAffinity"] = {"final": "0"}
    b.save()
    with open("/proc/self/status") as f:
        ours = [l.split()[1] for l in f if l.startswith("Cpus_allowed_list")][0]
    assert berth.run("run", "-b", b.path, cid).stdout.strip() == ours


def test_exec_cpu_affinity_out_of_range_is_an_error(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    proc = {"args": ["/bin/true"], "cwd": "/", "env": ["PATH=/bin"],
            "execCPUAffinity": {"final": "63"}}
    (tmp_path / "p.json").write_text(json.dumps(proc))
    r = berth.run("exec", "--process", tmp_path / "p.json", cid, check=False)
    assert r.returncode != 0
    assert "execCPUAffinity" in r.stderr
