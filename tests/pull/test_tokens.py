"""Bearer token lifetimes against the real token registry (behind a proxy that can hold the
manifest's answer back, so a token expires between the manifest and the blobs)."""


def multi_token_requests(world):
    return [r for r in world.token.requests if r["scope"] == "repository:multi:pull"]


def pull_multi(world, bp):
    return bp("--tls-verify=false", "--creds", "alice:secret", "-q", "pull",
              f"{world.authproxy.host}/multi")


def test_bearer_token_is_reused_within_its_lifetime(world, bp):
    # Manifest, config and three layers: five requests, one token (it lives 4 s).
    world.token.requests.clear()
    world.token.plan = [{"expires_in": 4}]
    world.authproxy.set()
    pull_multi(world, bp)
    assert len(multi_token_requests(world)) == 1
    assert len([e for e in world.authproxy.log if "/multi/" in e["path"]]) == 5
    assert all(e["status"] == 200 for e in world.authproxy.log if "/multi/" in e["path"])


def test_bearer_token_is_refreshed_when_it_expires(world, bp):
    # The token lives 2 s; the manifest's answer takes 3 s. The blobs need a new token, which
    # the client must fetch itself (the registry would still accept the old one: no 401).
    world.token.requests.clear()
    world.token.plan = [{"expires_in": 2}, {"expires_in": 300}]
    world.authproxy.set(manifest_delay=3)
    pull_multi(world, bp)
    issued = multi_token_requests(world)
    assert len(issued) == 2
    blobs = [e for e in world.authproxy.log if "/multi/blobs/" in e["path"]]
    assert len(blobs) == 4 and all(e["status"] == 200 for e in blobs)
    manifest = [e for e in world.authproxy.log if "/multi/manifests/" in e["path"]]
    assert manifest[0]["authorization"] != blobs[0]["authorization"]
    assert len({e["authorization"] for e in blobs}) == 1


def test_401_during_download_fetches_a_new_token_once(world, bp):
    # The first token claims 300 s but the registry stops accepting it 2 s after it is issued
    # (exp is 58 s ago; the registry allows 60 s of leeway). The manifest's answer is held 4 s,
    # so every blob request meets a real 401 from the registry; one new token serves them all.
    world.token.requests.clear()
    world.token.plan = [{"expires_in": 300, "exp_in": -58}]
    world.authproxy.set(manifest_delay=4)
    pull_multi(world, bp)
    assert len(multi_token_requests(world)) == 2
    blobs = [e for e in world.authproxy.log if "/multi/blobs/" in e["path"]]
    refused = [e for e in blobs if e["status"] == 401]
    served = [e for e in blobs if e["status"] == 200]
    assert refused, "the registry never refused the expired token"
    assert len(served) == 4
    assert not {e["authorization"] for e in refused} & {e["authorization"] for e in served}


def test_a_token_refused_again_after_the_refresh_fails_the_pull(world, bp, tmp_path):
    # Both tokens are already expired for the registry: the client retries once, then stops.
    world.token.requests.clear()
    world.token.plan = [{"exp_in": -58}, {"exp_in": -120}, {"exp_in": -120}]
    world.authproxy.set(manifest_delay=4)
    p = bp("--tls-verify=false", "--creds", "alice:secret", "-q", "pull",
           f"{world.authproxy.host}/multi", check=False)
    world.token.plan = []
    assert p.returncode == 1
    assert "HTTP 401" in p.stderr
    assert len(multi_token_requests(world)) == 2


def test_401_between_an_index_and_its_manifest_fetches_a_new_token_once(world, bp):
    # Same expiry, met by the second manifest request (the platform's, after the index).
    world.token.requests.clear()
    world.token.plan = [{"expires_in": 300, "exp_in": -58}]
    world.authproxy.set(manifest_delay=3)
    bp("--tls-verify=false", "--creds", "alice:secret", "--platform", "linux/amd64", "-q",
       "pull", f"{world.authproxy.host}/platforms")
    issued = [r for r in world.token.requests if r["scope"] == "repository:platforms:pull"]
    assert len(issued) == 2
    manifests = [e for e in world.authproxy.log if "/platforms/manifests/" in e["path"]]
    assert [e["status"] for e in manifests] == [200, 401, 200]
    assert manifests[0]["path"].endswith("/latest")
    assert all(e["status"] == 200 for e in world.authproxy.log if "/blobs/" in e["path"])
