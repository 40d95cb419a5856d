"""berth-pull end to end against real registries on loopback."""
import json
import os
import subprocess
import threading

import images as I
import servers as S


def blobs_in(store):
    d = os.path.join(store, "blobs", "sha256")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_pull_prints_docker_lines_and_stores_an_oci_layout(world, bp):
    host = world.plain.host
    p = bp("--tls-verify=false", "pull", f"{host}/hello")
    layer = world.hello.layers[0]["digest"][7:19]
    assert p.stdout.splitlines() == [
        f"latest: Pulling from {host}/hello",
        f"{layer}: Pulling fs layer",
        f"{layer}: Verifying Checksum",
        f"{layer}: Download complete",
        f"{layer}: Pull complete",
        f"Digest: {world.hello.digest}",
        f"Status: Downloaded newer image for {host}/hello:latest",
        f"{host}/hello:latest",
    ]
    with open(os.path.join(bp.store, "oci-layout")) as f:
        assert json.load(f) == {"imageLayoutVersion": "1.0.0"}
    with open(os.path.join(bp.store, "index.json")) as f:
        idx = json.load(f)
    assert idx["schemaVersion"] == 2
    [entry] = idx["manifests"]
    assert entry["digest"] == world.hello.digest
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == f"{host}/hello:latest"
    want = sorted(d[7:] for d in world.hello.blobs) + [world.hello.digest[7:]]
    assert blobs_in(bp.store) == sorted(want)
    assert os.listdir(os.path.join(bp.store, "ingest")) == []


def test_second_pull_downloads_no_blob(world, bp):
    world.proxy.set()
    ref = f"{world.proxy.host}/busybox:latest"
    bp("--tls-verify=false", "pull", ref)
    assert len(world.proxy.blob_gets()) == 2  # one layer and the config
    world.proxy.set()
    p = bp("--tls-verify=false", "pull", ref)
    assert world.proxy.blob_gets() == []
    assert f"{world.busybox.layers[0]['digest'][7:19]}: Already exists" in p.stdout
    assert f"Status: Image is up to date for {ref}" in p.stdout


def test_default_registry_option_and_environment(world, bp):
    p = bp("--tls-verify=false", "--default-registry", world.plain.host, "pull", "hello")
    assert p.stdout.splitlines()[-1] == f"{world.plain.host}/hello:latest"
    p = bp("--tls-verify=false", "-q", "pull", "busybox",
           env={"BERTH_DEFAULT_REGISTRY": world.plain.host})
    assert p.stdout == f"{world.plain.host}/busybox:latest\n"


def test_registry_mirror_serves_docker_hub_names(world, bp):
    dead = f"127.0.0.1:{S.free_port()}"
    p = bp("--tls-verify=false", "--registry-mirror", dead, "--registry-mirror",
           world.plain.host, "pull", "hello")
    assert p.stdout.splitlines()[0] == "latest: Pulling from library/hello"
    assert p.stdout.splitlines()[-2:] == ["Status: Downloaded newer image for hello:latest",
                                          "docker.io/library/hello:latest"]
    assert f"berth-pull: mirror {dead}: " in p.stderr and "trying the next source" in p.stderr
    rows = bp("images").stdout.splitlines()[1:]
    assert rows[0].split()[:3] == ["hello", "latest", world.hello.config_digest[7:19]]
    assert bp("rmi", "hello").stdout.startswith("Untagged: hello:latest\n")


def test_images_lists_like_docker(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/hello")
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/busybox:latest")
    p = bp("images")
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    hello = rows[f"{world.plain.host}/hello"]
    assert hello[1] == "latest"
    assert hello[2] == world.hello.config_digest[7:19]
    assert hello[-1].endswith("kB") or hello[-1].endswith("MB")
    assert " ".join(hello[3:-1]).endswith("ago")
    q = bp("images", "-q")
    assert sorted(q.stdout.split()) == sorted([world.hello.config_digest[7:19],
                                              world.busybox.config_digest[7:19]])


def test_pull_by_digest(world, bp):
    ref = f"{world.plain.host}/busybox@{world.busybox.digest}"
    p = bp("--tls-verify=false", "pull", ref)
    assert p.stdout.splitlines()[-1] == ref
    rows = bp("images").stdout.splitlines()[1:]
    assert rows[0].split()[1] == "<none>"


def test_pull_by_wrong_digest_is_refused(world, bp):
    bad = "sha256:" + "0" * 64
    p = bp("--tls-verify=false", "pull", f"{world.plain.host}/busybox@{bad}", check=False)
    assert p.returncode == 1
    assert "not found" in p.stderr


def test_store_is_readable_by_skopeo(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/busybox")
    p = subprocess.run(["skopeo", "inspect", "--raw",
                        f"oci:{bp.store}:{world.plain.host}/busybox:latest"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["config"]["digest"] == world.busybox.config_digest


def test_platform_is_chosen_from_an_index(world, bp):
    ref = f"{world.plain.host}/platforms"
    p = bp("--tls-verify=false", "pull", ref)
    assert f"Digest: {world.index_digest}" in p.stdout
    with open(os.path.join(bp.store, "index.json")) as f:
        [entry] = json.load(f)["manifests"]
    assert entry["digest"] == world.platforms["amd64"].digest
    p = bp("--tls-verify=false", "--platform", "linux/arm64", "pull", ref)
    with open(os.path.join(bp.store, "index.json")) as f:
        [entry] = json.load(f)["manifests"]
    assert entry["digest"] == world.platforms["arm64"].digest
    p = bp("--tls-verify=false", "--platform", "linux/s390x", "pull", ref, check=False)
    assert p.returncode == 1
    assert "no image for platform linux/s390x" in p.stderr
    assert "linux/amd64, linux/arm64/v8" in p.stderr  # the attestation entry is not offered


def test_schema1_is_refused_clearly(world, bp):
    world.proxy.set()
    p = bp("--tls-verify=false", "pull", f"{world.proxy.host}/schema1", check=False)
    assert p.returncode == 1
    assert "schema1 manifests are not supported" in p.stderr


def test_unknown_image_fails_with_the_registry_error(world, bp):
    p = bp("--tls-verify=false", "pull", f"{world.plain.host}/nope:latest", check=False)
    assert p.returncode == 1
    assert "not found" in p.stderr and "MANIFEST_UNKNOWN" in p.stderr


# ---- TLS --------------------------------------------------------------------------------

def test_tls_with_cert_dir(world, bp):
    p = bp("--cert-dir", world.certdir, "-q", "pull", f"{world.tls.host}/hello")
    assert p.stdout == f"{world.tls.host}/hello:latest\n"


def test_tls_with_unknown_ca_fails(world, bp):
    p = bp("pull", f"{world.tls.host}/hello", check=False)
    assert p.returncode == 1
    assert "certificate" in p.stderr.lower()


def test_tls_verify_false_accepts_any_certificate(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.tls.host}/hello")


def test_plain_http_needs_tls_verify_false(world, bp):
    p = bp("pull", f"{world.plain.host}/hello", check=False)
    assert p.returncode == 1


# ---- authentication ---------------------------------------------------------------------

def test_token_auth_anonymous(world, bp):
    world.token.requests.clear()
    bp("--tls-verify=false", "-q", "pull", f"{world.auth.host}/pub/hello")
    assert any("scope=repository%3Apub%2Fhello%3Apull" in r["path"] for r in world.token.requests)
    assert all(r["authorization"] is None for r in world.token.requests)


def test_token_auth_denied_without_credentials(world, bp):
    p = bp("--tls-verify=false", "pull", f"{world.auth.host}/hello", check=False)
    assert p.returncode == 1
    assert "denied" in p.stderr or "unauthorized" in p.stderr


def test_token_auth_with_creds(world, bp):
    world.token.requests.clear()
    bp("--tls-verify=false", "--creds", "alice:secret", "-q", "pull", f"{world.auth.host}/hello")
    assert world.token.requests and all(r["authorization"] for r in world.token.requests)
    p = bp("--tls-verify=false", "--creds", "alice:wrong", "pull", f"{world.auth.host}/busybox", check=False)
    assert p.returncode == 1
    assert "credentials were refused" in p.stderr


def test_login_authfile_and_logout(world, bp):
    authfile = os.path.join(bp.tmp, "auth.json")
    env = {"REGISTRY_AUTH_FILE": authfile}
    with open(authfile, "w") as f:
        # A helper for another registry: kept by the rewrite, never run for this one.
        json.dump({"auths": {"other.example:5000": {"auth": "eDp5"}},
                   "credHelpers": {"other.example:5000": "keep"}}, f)
    p = bp("--tls-verify=false", "login", "-u", "alice", "--password-stdin", world.auth.host, env=env,
           input="secret\n")
    assert p.stdout == "Login Succeeded\n"
    with open(authfile) as f:
        saved = json.load(f)
    assert saved["credHelpers"] == {"other.example:5000": "keep"}
    assert "other.example:5000" in saved["auths"]
    assert saved["auths"][world.auth.host]["auth"] == "YWxpY2U6c2VjcmV0"
    assert os.stat(authfile).st_mode & 0o777 == 0o600
    bp("--tls-verify=false", "-q", "pull", f"{world.auth.host}/busybox", env=env)
    p = bp("--tls-verify=false", "login", "-u", "alice", "-p", "bad", world.auth.host, env=env, check=False)
    assert p.returncode == 1
    p = bp("--tls-verify=false", "logout", world.auth.host, env=env)
    assert p.stdout == f"Removing login credentials for {world.auth.host}\n"
    p = bp("--tls-verify=false", "pull", f"{world.auth.host}/multi", env=env, check=False)
    assert p.returncode == 1


def test_docker_config_json_is_read(world, bp):
    os.makedirs(os.path.join(bp.tmp, ".docker"))
    with open(os.path.join(bp.tmp, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {f"http://{world.auth.host}": {"auth": "YWxpY2U6c2VjcmV0"}}}, f)
    bp("--tls-verify=false", "-q", "pull", f"{world.auth.host}/busybox")


def test_basic_auth_and_redirect_drops_credentials(world, bp):
    world.proxy.set(basic="bob:pw", redirect=True)
    p = bp("--tls-verify=false", "pull", f"{world.proxy.host}/busybox", check=False)
    assert p.returncode == 1 and "authentication required" in p.stderr
    world.proxy.set(basic="bob:pw", redirect=True)
    bp("--tls-verify=false", "--creds", "bob:pw", "-q", "pull", f"{world.proxy.host}/busybox")
    main = [e for e in world.proxy.log if e["listener"] == "127.0.0.1"]
    other = [e for e in world.proxy.log if e["listener"] == "127.0.0.2"]
    assert other, "blobs were not fetched from the redirect target"
    assert all(e["authorization"] is None for e in other)
    assert any(e["authorization"] for e in main)


# ---- faults -------------------------------------------------------------------------------

def test_truncated_blob_resumes_with_range(world, bp):
    world.proxy.set(truncate=True, times=1)
    bp("--tls-verify=false", "-q", "pull", f"{world.proxy.host}/busybox")
    gets = world.proxy.blob_gets()
    assert any(e["range"] and e["range"].startswith("bytes=") for e in gets)


def test_server_ignoring_range_restarts_the_blob(world, bp):
    world.proxy.set(truncate=True, times=1, ignore_range=True)
    bp("--tls-verify=false", "-q", "pull", f"{world.proxy.host}/busybox")
    assert any(e["range"] for e in world.proxy.blob_gets())
    assert bp("images", "-q").stdout.strip() == world.busybox.config_digest[7:19]


def test_corrupt_blob_fails_and_stores_nothing(world, bp):
    world.proxy.set(corrupt=True)
    p = bp("--tls-verify=false", "pull", f"{world.proxy.host}/busybox", check=False)
    assert p.returncode == 1
    assert "digest mismatch" in p.stderr
    assert blobs_in(bp.store) == []
    assert os.listdir(os.path.join(bp.store, "ingest")) == []
    assert bp("images", "-q").stdout == ""


def test_429_with_retry_after_and_503_are_retried(world, bp):
    world.proxy.set(status=429, times=2, retry_after=1)
    bp("--tls-verify=false", "-q", "pull", f"{world.proxy.host}/busybox")
    world.proxy.set(status=503, times=3)
    bp("--tls-verify=false", "-q", "pull", f"{world.proxy.host}/hello")


def test_persistent_503_gives_up(world, bp):
    world.proxy.set(status=503, times=1000)
    p = bp("--tls-verify=false", "pull", f"{world.proxy.host}/hello", check=False)
    assert p.returncode == 1
    assert "HTTP 503" in p.stderr


def test_concurrent_pulls_share_one_store(world, bp):
    results = []

    def pull(ref):
        results.append(bp("--tls-verify=false", "-q", "pull", ref, check=False))

    refs = [f"{world.plain.host}/multi", f"{world.plain.host}/multi",
            f"{world.plain.host}/busybox"]
    threads = [threading.Thread(target=pull, args=(r,)) for r in refs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    with open(os.path.join(bp.store, "index.json")) as f:
        names = sorted(m["annotations"]["org.opencontainers.image.ref.name"]
                       for m in json.load(f)["manifests"])
    assert names == [f"{world.plain.host}/busybox:latest", f"{world.plain.host}/multi:latest"]


# ---- rmi ----------------------------------------------------------------------------------

def test_rmi_untags_and_collects_unused_blobs(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/hello")
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/pub/hello")
    before = blobs_in(bp.store)
    p = bp("rmi", f"{world.plain.host}/hello")
    assert p.stdout == f"Untagged: {world.plain.host}/hello:latest\n"  # blobs still used
    assert blobs_in(bp.store) == before
    p = bp("rmi", f"{world.plain.host}/pub/hello:latest")
    lines = p.stdout.splitlines()
    assert lines[0] == f"Untagged: {world.plain.host}/pub/hello:latest"
    assert sorted(l.split()[1] for l in lines[1:]) == sorted(
        list(world.hello.blobs) + [world.hello.digest])
    assert blobs_in(bp.store) == []
    p = bp("rmi", f"{world.plain.host}/hello", check=False)
    assert p.returncode == 1 and "no such image" in p.stderr


def test_rmi_by_image_id(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/busybox")
    p = bp("rmi", world.busybox.config_digest[7:19])
    assert p.stdout.startswith(f"Untagged: {world.plain.host}/busybox:latest\n")
    assert blobs_in(bp.store) == []


def test_store_is_unpackable_by_umoci(world, bp):
    bp("--tls-verify=false", "-q", "pull", f"{world.plain.host}/busybox")
    out = os.path.join(bp.tmp, "umoci-bundle")
    p = subprocess.run(["umoci", "unpack", "--image",
                        f"{bp.store}:{world.plain.host}/busybox:latest", out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(out, "rootfs", "bin", "busybox"))


def test_terminal_output_draws_progress_bars(world, bp):
    cmd = (f"{os.path.abspath(bp_binary())} --store {bp.store} --tls-verify=false "
           f"pull {world.plain.host}/busybox")
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=bp.env, timeout=60)
    assert p.returncode == 0, p.stdout
    out = p.stdout.decode(errors="replace")
    assert "\x1b[2K" in out  # lines are redrawn in place
    assert "Pull complete" in out and "Status: Downloaded newer image" in out


def bp_binary():
    from conftest import BERTH_PULL
    return BERTH_PULL


def test_foreign_layer_is_fetched_from_its_urls_without_credentials(world, bp):
    layer = I.Layer()
    layer.file("foreign", "from elsewhere")
    data, raw = layer.blob("gzip")
    reg = I.Registry("127.0.0.1", world.plain.port)
    reg.push_blob("foreignsrc", I.sha(data), data)
    url = f"http://{world.proxy.other.host}/v2/foreignsrc/blobs/{I.sha(data)}"
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/x"]},
                      "rootfs": {"type": "layers", "diff_ids": [I.sha(raw)]}}).encode()
    reg.push_blob("foreign", I.sha(cfg), cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": I.DOCKER_MANIFEST,
                      "config": {"mediaType": I.DOCKER_CONFIG, "digest": I.sha(cfg),
                                 "size": len(cfg)},
                      "layers": [{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                                  "digest": I.sha(data), "size": len(data), "urls": [url]}]})
    reg.push_manifest("foreign", "latest", I.DOCKER_MANIFEST, man.encode())
    world.proxy.set()
    bundle = os.path.join(bp.tmp, "foreign")
    bp("--tls-verify=false", "--creds", "alice:secret", "-q", "bundle",
       f"{world.plain.host}/foreign", bundle)
    assert open(os.path.join(bundle, "rootfs", "foreign")).read() == "from elsewhere"
    [get] = world.proxy.blob_gets()
    assert get["listener"] == "127.0.0.2" and get["authorization"] is None


def test_a_layer_listed_twice_is_fetched_and_shown_once(world, bp):
    world.proxy.set()
    p = bp("--tls-verify=false", "pull", f"{world.proxy.host}/dup")
    layer = world.dup.layers[0]["digest"][7:19]
    assert [l for l in p.stdout.splitlines() if l.startswith(layer)] == [
        f"{layer}: Pulling fs layer", f"{layer}: Verifying Checksum",
        f"{layer}: Download complete", f"{layer}: Pull complete"]
    assert len(world.proxy.blob_gets()) == 2  # the layer once, the config once


def test_a_killed_pull_leaves_no_partial_blob(world, bp):
    from conftest import BERTH_PULL
    world.proxy.set(stall=True)
    proc = subprocess.Popen([BERTH_PULL, "--store", bp.store, "--tls-verify=false", "pull",
                             f"{world.proxy.host}/multi"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=bp.env)
    try:
        assert world.proxy.stalled.wait(20), "no blob download started"
        ingest = os.path.join(bp.store, "ingest")
        # The half-written blob exists only as an unnamed O_TMPFILE (or a file in ingest/).
        os.kill(proc.pid, 9)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        world.proxy.set()
    stored = {"sha256:" + b for b in blobs_in(bp.store)}
    for layer in world.multi.layers:
        assert layer["digest"] not in stored or open(
            os.path.join(bp.store, "blobs", "sha256", layer["digest"][7:]), "rb").read() == \
            world.multi.blobs[layer["digest"]]
    assert not os.path.exists(os.path.join(bp.store, "index.json"))
    leftovers = os.listdir(ingest)
    assert leftovers == [], leftovers
    # The next pull completes from where the store is.
    bp("--tls-verify=false", "-q", "pull", f"{world.proxy.host}/multi")
