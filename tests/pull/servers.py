"""Real servers for the berth-pull tests, on 127.0.0.1 only: Debian's docker-registry in plain
HTTP, TLS and token-auth modes (sharing one storage), a token issuer, and a faulty proxy."""
import base64
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

REGISTRY = "/usr/bin/docker-registry"


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(host, port, proc=None, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on {host}:{port} exited with {proc.returncode}")
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


def openssl(*args, **kw):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, **kw)


def make_ca(d):
    """A CA, a server certificate for 127.0.0.1 signed by it, and a token-signing pair."""
    p = lambda n: os.path.join(d, n)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out",
            p("ca.crt"), "-subj", "/CN=berth test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out",
            p("server.csr"), "-subj", "/CN=127.0.0.1")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("server.crt"), "-days", "2", "-extfile", p("ext.cnf"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("token.key"), "-out",
            p("token.crt"), "-subj", "/CN=berth test token issuer", "-days", "2")
    # A client certificate for registries that require one (http.tls.clientcas).
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("client.key"), "-out",
            p("client.csr"), "-subj", "/CN=berth test client")
    with open(p("client.cnf"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", p("client.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p("client.cert"), "-days", "2", "-extfile", p("client.cnf"))
    return {n: p(n) for n in ("ca.crt", "server.crt", "server.key", "token.crt", "token.key",
                              "client.cert", "client.key")}


class RegistryProcess:
    def __init__(self, workdir, name, storage, tls=None, token=None, clientcas=None):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        cfg = os.path.join(workdir, f"registry-{name}.yml")
        lines = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
                 "storage:", "  filesystem:", f"    rootdirectory: {storage}",
                 "  delete:", "    enabled: true", "http:", f"  addr: 127.0.0.1:{self.port}",
                 "  secret: berth-test"]
        if tls:
            lines += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
            if clientcas:
                lines += ["    clientcas:", f"      - {clientcas}"]
        if token:
            lines += ["auth:", "  token:", f"    realm: {token['realm']}",
                      f"    service: {token['service']}", f"    issuer: {token['issuer']}",
                      f"    rootcertbundle: {token['cert']}"]
        # Foreign layers may point at the second loopback origin only.
        lines += ["validation:", "  manifests:", "    urls:", "      allow:",
                  "        - '^http://127\\.0\\.0\\.2:'"]
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(workdir, f"registry-{name}.log"), "wb")
        self.proc = subprocess.Popen([REGISTRY, "serve", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_port("127.0.0.1", self.port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ThreadedServer:
    """An http.server in a thread of the test process."""

    def __init__(self, handler, host="127.0.0.1"):
        self.httpd = http.server.ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.host = f"{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TokenHandler(http.server.BaseHTTPRequestHandler):
    """Issues RS256 JWTs the registry's token auth accepts. alice:secret may pull anything;
    anonymous callers may pull repositories under pub/ only. The lifetime announced to the
    client (expires_in) and the one in the token itself (exp) are set by the test: the
    registry accepts a token until 60 s (its leeway) after exp."""

    def log_message(self, *a):
        pass

    def do_GET(self):
        srv = self.server.owner
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        authz = self.headers.get("Authorization")
        srv.requests.append({"path": self.path, "authorization": authz,
                             "scope": " ".join(q.get("scope", []))})
        user = None
        if authz:
            try:
                user, _, pw = base64.b64decode(authz.split(" ", 1)[1]).decode().partition(":")
            except Exception:
                user, pw = None, None
            if (user, pw) != ("alice", "secret"):
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"incorrect username or password"}')
                return
        access = []
        for scope in q.get("scope", []):
            typ, name, actions = scope.split(":")
            if user == "alice" or name.startswith("pub/"):
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
        with srv.lock:
            life = srv.plan.pop(0) if srv.plan else {}
        now = int(time.time())
        token = srv.sign({"iss": srv.issuer, "sub": user or "", "aud": q.get("service", [""])[0],
                          "exp": now + life.get("exp_in", 300), "nbf": now - 10,
                          "iat": now, "jti": os.urandom(8).hex(), "access": access})
        body = json.dumps({"token": token, "expires_in": life.get("expires_in", 300)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class TokenServer(ThreadedServer):
    def __init__(self, cert, key):
        self.requests = []
        # Lifetimes of the next tokens issued, first first: {"expires_in": s, "exp_in": s}.
        self.plan = []
        self.lock = threading.Lock()
        self.issuer = "berth-test-issuer"
        self.key = key
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                             stdout=subprocess.PIPE, check=True).stdout
        self.x5c = base64.b64encode(der).decode()
        super().__init__(TokenHandler)
        self.realm = f"http://{self.host}/token"

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                             input=signing.encode(), stdout=subprocess.PIPE, check=True).stdout
        return signing + "." + b64url(sig)


class FaultHandler(http.server.BaseHTTPRequestHandler):
    """Forwards to the plain registry and injects the fault the test asked for."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _reply(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.server.owner
        is_blob = "/blobs/" in self.path
        with p.lock:
            entry = {"path": self.path, "host": self.headers.get("Host"),
                     "authorization": self.headers.get("Authorization"),
                     "range": self.headers.get("Range"),
                     "listener": self.server.server_address[0], "status": None}
            p.log.append(entry)
            fault = p.fault
            n = p.count = p.count + (1 if is_blob else 0)
        if fault.get("basic") and self.server.server_address[0] == "127.0.0.1":
            want = "Basic " + base64.b64encode(fault["basic"].encode()).decode()
            if self.headers.get("Authorization") != want:
                return self._reply(401, [("WWW-Authenticate", 'Basic realm="berth-test"')])
        if self.path.startswith("/v2/schema1/manifests/"):
            body = json.dumps({"schemaVersion": 1, "name": "schema1", "tag": "latest",
                               "fsLayers": [], "history": []}).encode()
            return self._reply(200, [("Content-Type",
                                      "application/vnd.docker.distribution.manifest.v1+prettyjws")],
                               body)
        if is_blob and fault.get("redirect") and self.server.server_address[0] == "127.0.0.1":
            return self._reply(307, [("Location", f"http://{p.other.host}{self.path}")])
        if is_blob and fault.get("status") and n <= fault.get("times", 1):
            hdrs = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            return self._reply(fault["status"], hdrs)
        headers = {"Accept": self.headers.get("Accept", "*/*")}
        if p.forward_auth and self.headers.get("Authorization"):
            headers["Authorization"] = self.headers["Authorization"]
        if self.headers.get("Range") and not (is_blob and fault.get("ignore_range")):
            headers["Range"] = self.headers["Range"]
        c = http.client.HTTPConnection("127.0.0.1", p.upstream_port, timeout=30)
        c.request(self.command, self.path, headers=headers)
        r = c.getresponse()
        # The registry itself may redirect blob reads; follow that here, as a CDN would serve.
        if r.status in (301, 302, 307) and is_blob:
            r.read()
            loc = urllib.parse.urlsplit(r.getheader("Location"))
            c.request(self.command, loc.path + ("?" + loc.query if loc.query else ""),
                      headers=headers)
            r = c.getresponse()
        body = r.read()
        entry["status"] = r.status
        hdrs = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        if "/manifests/" in self.path and fault.get("manifest_delay"):
            # The registry has answered; hold the answer so the client's next request
            # comes that much later (a slow link, a long pull).
            time.sleep(fault["manifest_delay"])
        if is_blob and r.status in (200, 206) and self.command == "GET":
            if fault.get("corrupt"):
                body = bytes([body[0] ^ 0xFF]) + body[1:]
            if fault.get("stall") and len(body) > 1:
                # Half the blob, then silence until the test lets go (10 s at most).
                self.send_response(r.status)
                for k, v in hdrs:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                p.stalled.set()
                p.release.wait(10)
                self.close_connection = True
                return
            if fault.get("truncate") and n <= fault.get("times", 1) and len(body) > 1:
                self.send_response(r.status)
                for k, v in hdrs:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        self._reply(r.status, hdrs, body)


class FaultProxy(ThreadedServer):
    def __init__(self, upstream_port, forward_auth=False):
        self.upstream_port = upstream_port
        self.forward_auth = forward_auth  # pass Authorization on (an auth-enabled upstream)
        self.lock = threading.Lock()
        self.log = []
        self.fault = {}
        self.count = 0
        self.stalled = threading.Event()
        self.release = threading.Event()
        super().__init__(FaultHandler)
        # A second origin (another loopback address) for cross-host redirects.
        self.other = ThreadedServer(FaultHandler, host="127.0.0.2")
        self.other.httpd.owner = self

    def set(self, **fault):
        self.release.set()  # let any stalled response end
        with self.lock:
            self.stalled = threading.Event()
            self.release = threading.Event()
            self.fault = fault
            self.count = 0
            self.log.clear()

    def blob_gets(self):
        return [e for e in self.log if "/blobs/" in e["path"]]

    def stop(self):
        self.other.stop()
        super().stop()
