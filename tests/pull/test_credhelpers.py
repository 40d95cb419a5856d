"""Docker credential helpers named by the auth file (credsStore, credHelpers), run from PATH
against the token registry. The helpers are small shell scripts the tests write: they are
the protocol's other end (read the server URL on stdin, answer JSON), not stand-ins for a
server."""
import json
import os

HELPER = """#!/bin/sh
# docker-credential-{name}: knows {host} only (alice's password: {secret}).
read -r server
printf '%s %s\\n' "$1" "$server" >> "{log}"
if [ "$1" = get ] && [ "$server" = "{host}" ]; then
	printf '{{"ServerURL":"%s","Username":"alice","Secret":"{secret}"}}\\n' "$server"
	exit 0
fi
echo "credentials not found in native keychain"
exit 1
"""


def install_helper(bp, name, host, secret="secret", body=None):
    bindir = os.path.join(bp.tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    log = os.path.join(bp.tmp, f"{name}.log")
    path = os.path.join(bindir, f"docker-credential-{name}")
    with open(path, "w") as f:
        f.write(body or HELPER.format(name=name, host=host, secret=secret, log=log))
    os.chmod(path, 0o755)
    bp.env["PATH"] = bindir + ":" + bp.env["PATH"]
    return log


def write_authfile(bp, doc):
    path = os.path.join(bp.tmp, "auth.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    bp.env["REGISTRY_AUTH_FILE"] = path


def calls(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return f.read().splitlines()


def pull(world, bp, name="busybox", check=True):
    return bp("--tls-verify=false", "-q", "pull", f"{world.auth.host}/{name}", check=check)


def test_creds_store_helper_supplies_the_credentials(world, bp):
    log = install_helper(bp, "berthtest", world.auth.host)
    write_authfile(bp, {"auths": {world.auth.host: {}}, "credsStore": "berthtest"})
    world.token.requests.clear()
    pull(world, bp)
    assert calls(log) == [f"get {world.auth.host}"]
    assert world.token.requests
    assert all(r["authorization"] == "Basic YWxpY2U6c2VjcmV0" for r in world.token.requests)


def test_cred_helpers_entry_wins_over_creds_store(world, bp):
    log = install_helper(bp, "berthtest", world.auth.host)
    write_authfile(bp, {"credsStore": "not-installed",
                        "credHelpers": {world.auth.host: "berthtest"}})
    pull(world, bp)
    assert calls(log) == [f"get {world.auth.host}"]


def test_cred_helpers_entry_for_another_registry_is_not_run(world, bp):
    log = install_helper(bp, "berthtest", world.auth.host)
    write_authfile(bp, {"credHelpers": {"other.example:5000": "berthtest"}})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "access to busybox denied" in p.stderr
    assert calls(log) == []


def test_helper_without_credentials_falls_back_to_auths(world, bp):
    log = install_helper(bp, "berthtest", "some.other.host:443")
    write_authfile(bp, {"credsStore": "berthtest"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "access to busybox denied" in p.stderr
    assert calls(log) == [f"get {world.auth.host}"]
    write_authfile(bp, {"credsStore": "berthtest",
                        "auths": {world.auth.host: {"auth": "YWxpY2U6c2VjcmV0"}}})
    pull(world, bp)


def test_helper_with_a_wrong_secret_is_refused_by_the_registry(world, bp):
    install_helper(bp, "berthtest", world.auth.host, secret="wrong")
    write_authfile(bp, {"credsStore": "berthtest"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "credentials were refused" in p.stderr


def test_missing_helper_is_a_clear_error(world, bp):
    write_authfile(bp, {"credsStore": "not-installed"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1
    assert "credential helper 'docker-credential-not-installed' is not on PATH" in p.stderr


def test_failing_helper_reports_its_words(world, bp):
    install_helper(bp, "broken", world.auth.host,
                   body="#!/bin/sh\necho 'keychain is locked'\nexit 3\n")
    write_authfile(bp, {"credsStore": "broken"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1
    assert f"credential helper 'docker-credential-broken' for {world.auth.host}: exit status 3: keychain is locked" in p.stderr


def test_helper_answering_garbage_or_an_identity_token_is_refused(world, bp):
    install_helper(bp, "garbage", world.auth.host, body="#!/bin/sh\necho '{\"Username\": 7'\n")
    write_authfile(bp, {"credsStore": "garbage"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "docker-credential-garbage" in p.stderr
    install_helper(bp, "idtoken", world.auth.host,
                   body='#!/bin/sh\necho \'{"Username":"<token>","Secret":"refresh"}\'\n')
    write_authfile(bp, {"credsStore": "idtoken"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "identity token" in p.stderr


def test_helper_name_with_a_slash_is_not_run(world, bp):
    write_authfile(bp, {"credsStore": "../../bin/true"})
    p = pull(world, bp, check=False)
    assert p.returncode == 1 and "not a plain name" in p.stderr
