"""Runs a Python Lambda handler over the Lambda Runtime API.

Standard library only. The handler is "module.function" (the module may
be a path such as "dir/module") loaded from LAMBDA_TASK_ROOT.
"""

import http.client
import importlib
import importlib.util
import json
import logging
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"

# Lambda's log format and application log level (advanced logging controls).
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"
TRACE = 5  # Lambda's TRACE, below logging.DEBUG
LEVELS = {"TRACE": TRACE, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
          "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}
current_request_id = ""


def level_name(levelno):
    """The Lambda level of a logging level number."""
    for name, no in sorted(LEVELS.items(), key=lambda kv: -kv[1]):
        if levelno >= no:
            return name
    return "TRACE"


def utc_timestamp(created):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + ".%03dZ" % (int(created * 1000) % 1000)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        return True


class JsonFormatter(logging.Formatter):
    """Formats records as Lambda's Python runtime does with the JSON format."""

    def format(self, record):
        out = {
            "timestamp": utc_timestamp(record.created),
            "level": level_name(record.levelno),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if current_request_id:
            out["requestId"] = current_request_id
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["errorType"] = type(exc).__name__
            out["errorMessage"] = str(exc)
            out["stackTrace"] = traceback.format_list(traceback.extract_tb(exc.__traceback__))
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """Formats records as Lambda's Python runtime does with the Text format."""

    def format(self, record):
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        return "[%s]\t%s\t%s\t%s" % (record.levelname, utc_timestamp(record.created), current_request_id, msg)


def setup_logging():
    """Gives the root logger the handler Lambda's runtime installs: with
    JSON, records are JSON and the root level is AWS_LAMBDA_LOG_LEVEL."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    logging.addLevelName(TRACE, "TRACE")
    if JSON_LOGS:
        handler.setFormatter(JsonFormatter())
        root.setLevel(LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper(), logging.INFO))
    else:
        handler.setFormatter(TextFormatter())
    root.handlers = [handler]


class RuntimeClient:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def post(self, path, payload, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        self.request("POST", path, body=payload, headers=headers)


class CognitoIdentity:
    def __init__(self, raw):
        data = json.loads(raw) if raw else {}
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class ClientContext:
    def __init__(self, raw):
        data = json.loads(raw) if raw else {}
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, trace_id, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(identity) if identity else None
        self.client_context = ClientContext(client_context) if client_context else None
        self.trace_id = trace_id
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def log(self, msg):
        sys.stdout.write(str(msg))
        sys.stdout.flush()


class HandlerError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def error_body(exc, error_type=None, request_id=""):
    # As Lambda's runtime does, the trace starts at the first frame that is
    # not the runtime's own.
    tb = traceback.extract_tb(exc.__traceback__)
    while tb and os.path.abspath(tb[0].filename) == os.path.abspath(__file__):
        tb = traceback.StackSummary.from_list(tb[1:])
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(tb),
    }


def load_handler(task_root, handler):
    try:
        module_path, function = handler.rsplit(".", 1)
    except ValueError as exc:
        raise HandlerError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, exc))
    module_name = module_path.replace("/", ".")
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise HandlerError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, exc))
    except ImportError as exc:
        raise HandlerError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, exc))
    fn = getattr(module, function, None)
    if fn is None:
        raise HandlerError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function, module_name))
    return fn


def log_error(body):
    if JSON_LOGS:
        # Lambda's runtime writes the error itself, stamped to the second.
        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "ERROR"}
        record.update((k, body[k]) for k in ("errorMessage", "errorType", "requestId", "stackTrace"))
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
        return
    sys.stdout.write("[ERROR] %s: %s\n" % (body["errorType"], body["errorMessage"]))
    if body["stackTrace"]:
        sys.stdout.write("Traceback (most recent call last):\n" + "".join(body["stackTrace"]))
    sys.stdout.flush()


class EndpointFromEnvironment:
    """Points clients of a botocore older than 1.31 at AWS_ENDPOINT_URL.

    botocore reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) itself
    from 1.31 on; older ones, such as the one Debian ships, ignore it and
    would send the function's calls to AWS. This import hook waits for
    botocore.session to be imported (a function that never uses the SDK
    pays nothing) and, for those versions only, gives create_client the
    endpoint the environment names when the caller names none.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            self.patch(module)

        spec.loader.exec_module = exec_module
        return spec

    @staticmethod
    def patch(module):
        import botocore

        try:
            version = tuple(int(p) for p in botocore.__version__.split(".")[:2])
        except ValueError:
            return
        if version >= (1, 31):
            return
        create_client = module.Session.create_client

        def create_client_at_endpoint(self, service_name, *args, **kwargs):
            if len(args) < 5 and kwargs.get("endpoint_url") is None:
                url = None
                try:
                    # Named after the serviceId, as newer botocore names it:
                    # AWS_ENDPOINT_URL_DYNAMODB_STREAMS, _CLOUDWATCH_LOGS.
                    sid = str(self.get_service_model(service_name).service_id)
                    url = os.environ.get("AWS_ENDPOINT_URL_" + sid.upper().replace("-", "_").replace(" ", "_"))
                except Exception:
                    pass
                url = url or os.environ.get("AWS_ENDPOINT_URL")
                if url:
                    kwargs["endpoint_url"] = url
            return create_client(self, service_name, *args, **kwargs)

        module.Session.create_client = create_client_at_endpoint


def main():
    global current_request_id
    setup_logging()
    if os.environ.get("AWS_ENDPOINT_URL"):
        sys.meta_path.insert(0, EndpointFromEnvironment())
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    try:
        handler = load_handler(task_root, os.environ.get("_HANDLER", ""))
    except HandlerError as exc:
        body = {"errorMessage": str(exc), "errorType": exc.error_type, "requestId": "", "stackTrace": []}
        log_error(body)
        client.post("/init/error", json.dumps(body).encode(), exc.error_type)
        sys.exit(1)
    except Exception as exc:
        body = error_body(exc, "Runtime.Unknown")
        log_error(body)
        client.post("/init/error", json.dumps(body).encode(), "Runtime.Unknown")
        sys.exit(1)

    while True:
        status, headers, event = client.request("GET", "/invocation/next")
        if status != 200:
            sys.exit("runtime API returned %d for next invocation" % status)
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        current_request_id = request_id
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(
            request_id,
            int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
            trace_id,
            headers.get("Lambda-Runtime-Client-Context"),
            headers.get("Lambda-Runtime-Cognito-Identity"),
        )
        path = "/invocation/%s" % request_id
        try:
            result = handler(json.loads(event) if event else {}, context)
        except Exception as exc:
            body = error_body(exc, request_id=request_id)
            log_error(body)
            client.post(path + "/error", json.dumps(body).encode(), body["errorType"])
            continue
        try:
            payload = json.dumps(result).encode()
        except Exception as exc:
            body = {
                "errorMessage": "Unable to marshal response: %s" % exc,
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            log_error(body)
            client.post(path + "/error", json.dumps(body).encode(), "Runtime.MarshalError")
            continue
        client.post(path + "/response", payload)


if __name__ == "__main__":
    main()
