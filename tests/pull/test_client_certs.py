"""TLS client certificates from --cert-dir, against a registry that requires one
(docker-registry's http.tls.clientcas with the test CA)."""
import os
import shutil


def cert_dir(world, tmp, *names):
    d = os.path.join(tmp, "certs")
    os.mkdir(d)
    for n in names:
        shutil.copy(world.certs[n], os.path.join(d, n))
    return d


def test_registry_requiring_a_client_certificate_refuses_a_pull_without_one(world, bp):
    d = cert_dir(world, bp.tmp, "ca.crt")
    p = bp("--cert-dir", d, "pull", f"{world.mtls.host}/hello", check=False)
    assert p.returncode == 1
    assert world.mtls.host in p.stderr and "client certificate" in p.stderr
    assert "Pull complete" not in p.stdout


def test_client_certificate_and_key_from_cert_dir_are_presented(world, bp):
    d = cert_dir(world, bp.tmp, "ca.crt", "client.cert", "client.key")
    p = bp("--cert-dir", d, "-q", "pull", f"{world.mtls.host}/hello")
    assert p.stdout == f"{world.mtls.host}/hello:latest\n"
    p = bp("images")
    assert f"{world.mtls.host}/hello" in p.stdout


def test_client_certificate_without_its_key_is_refused_clearly(world, bp):
    d = cert_dir(world, bp.tmp, "ca.crt", "client.cert")
    p = bp("--cert-dir", d, "pull", f"{world.mtls.host}/hello", check=False)
    assert p.returncode == 1
    assert "client.cert" in p.stderr and "no matching key" in p.stderr
