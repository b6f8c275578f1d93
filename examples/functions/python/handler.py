"""Example Lambda function for the python3.x runtimes (handler: handler.handler).

The event's "action" chooses what it does: echo, whoami, sleep (ms), crash,
error (message), env (names), spawn (ms), alloc (mb, ms), print (lines),
big (bytes), context. Only the standard library is needed; whoami uses
boto3 when it is installed and a signed STS request otherwise.
"""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

DEFAULT_ENV = [
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "_HANDLER",
    "TZ", "LANG", "PATH", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
]

_held = []


def handler(event, context):
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    if action == "echo":
        return event
    if action == "whoami":
        return whoami()
    if action == "sleep":
        time.sleep(event.get("ms", 0) / 1000)
        return {"slept": event.get("ms", 0)}
    if action == "crash":
        print("crashing")
        os._exit(1)
    if action == "error":
        raise ValueError(event.get("message", "error"))
    if action == "env":
        names = event.get("names") or DEFAULT_ENV
        out = {n: os.environ[n] for n in names if n in os.environ}
        out.update({"_cwd": os.getcwd(), "_uid": os.getuid(), "_count": len(os.environ)})
        return out
    if action == "context":
        return {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }
    if action == "spawn":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("child %d" % child.pid)
        time.sleep(event.get("ms", 0) / 1000)
        return {"pid": child.pid}
    if action == "alloc":
        _held.append(b"\x01" * (event.get("mb", 0) << 20))
        time.sleep(event.get("ms", 0) / 1000)
        return {"allocated": event.get("mb", 0)}
    if action == "print":
        for i, line in enumerate(event.get("lines", [])):
            print(line, file=sys.stderr if i % 2 else sys.stdout)
        return {"printed": len(event.get("lines", []))}
    if action == "big":
        return "x" * event.get("bytes", 0)
    raise ValueError("unknown action %r" % action)


def whoami():
    try:
        import boto3  # noqa: F401
    except ImportError:
        return signed_get_caller_identity()
    out = boto3.client("sts").get_caller_identity()
    return {"arn": out["Arn"], "account": out["Account"], "userId": out["UserId"]}


def signed_get_caller_identity():
    """Calls STS GetCallerIdentity with a SigV4-signed POST (stdlib only)."""
    env = os.environ
    region = env.get("AWS_REGION", "us-east-1")
    endpoint = env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL") or "https://sts.%s.amazonaws.com" % region
    url = urllib.parse.urlsplit(endpoint)
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "host": url.netloc,
        "x-amz-date": amz_date,
    }
    if env.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = env["AWS_SESSION_TOKEN"]
    signed = ";".join(sorted(headers))
    canonical = "\n".join([
        "POST", url.path or "/", "",
        "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)),
        signed, hashlib.sha256(body).hexdigest(),
    ])
    scope = "%s/%s/sts/aws4_request" % (day, region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + env["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (day, region, "sts", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        env["AWS_ACCESS_KEY_ID"], scope, signed, signature)
    req = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        xml = resp.read().decode()

    def field(name):
        start = xml.find("<%s>" % name)
        end = xml.find("</%s>" % name)
        return xml[start + len(name) + 2:end] if start >= 0 and end > start else None

    return {"arn": field("Arn"), "account": field("Account"), "userId": field("UserId")}
