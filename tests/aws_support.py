"""Shared pieces of the AWS scanner tests: a credential-free environment and small builders.

Nothing here can reach AWS: credentials are fake, every profile and config file is unset, and
moto (in-process ``mock_aws`` or its server on 127.0.0.1) answers every call.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

REGION = "cn-north-1"
DR_REGION = "cn-northwest-1"
ACCOUNT = "123456789012"  # moto's default account

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
         "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


def fake_env(monkeypatch: Any) -> None:
    for k in UNSET:
        monkeypatch.delenv(k, raising=False)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)


def by_name(inv: Any, name: str, kind: str | None = None) -> dict[str, Any]:
    hits = [a for a in inv.assets if a.get("name") == name and (kind is None or a["kind"] == kind)]
    assert len(hits) == 1, f"{name}: {len(hits)} assets"
    return hits[0]


def bucket(name: str, region: str = REGION, session: boto3.Session | None = None,
           tags: dict[str, str] | None = None) -> Any:
    s3 = (session or boto3).client("s3", region_name=region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in tags.items()]})
    return s3


def public_policy(name: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws-cn:s3:::{name}/*"}]})


def vpc_with_subnets(ec2: Any, cidr: str, name: str, level: str | None = None,
                     env: str = "production") -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    tags = [{"Key": "Name", "Value": name}, {"Key": "environment", "Value": env}]
    if level:
        tags.append({"Key": "dsscan:level", "Value": level})
    ec2.create_tags(Resources=[vpc], Tags=tags)
    base = cidr.split("/")[0].rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    return vpc, subnets


# --- servers on 127.0.0.1 ------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MisbehavingEndpoint:
    """An HTTP endpoint on 127.0.0.1 that answers every request with one canned AWS error
    response after an optional delay: throttling past retries and timeouts are behaviours
    moto cannot produce, so this stands in for an AWS endpoint under load."""

    def __init__(self, status: int = 400, body: bytes = b"", delay: float = 0.0,
                 content_type: str = "text/xml") -> None:
        import http.server
        import threading
        import time

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def query_error(code: str, message: str = "error") -> bytes:
    """An error body of the AWS query protocol (EC2-style services use another)."""
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>r-1</RequestId>"
            "</ErrorResponse>").encode()
