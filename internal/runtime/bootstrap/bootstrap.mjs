// Runs a Node.js Lambda handler over the Lambda Runtime API.
//
// Built-in modules only. The handler is "file.function" loaded from
// LAMBDA_TASK_ROOT (file.js, file.mjs or file.cjs); it may be async or take
// a callback.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import * as nodeModule from "node:module";

// import of the SDK the runtime ships, as require finds it through NODE_PATH
// (module.register: Node 18.19 and later).
nodeModule.register?.("./resolve.mjs", import.meta.url);

const PREFIX = "/2018-06-01/runtime";
const [host, port] = (() => {
  const addr = process.env.AWS_LAMBDA_RUNTIME_API;
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
})();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: PREFIX + p, agent, headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function post(p, payload, errorType) {
  const headers = { "Content-Type": "application/json" };
  if (errorType) headers["Lambda-Runtime-Function-Error-Type"] = errorType;
  return request("POST", p, payload, headers);
}

// Lambda prints console output as: time, request id, level, message; with
// the JSON log format as a JSON record, and only at or above the level of
// AWS_LAMBDA_LOG_LEVEL.
let currentRequestId = "";
const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
const JSON_LOGS = process.env.AWS_LAMBDA_LOG_FORMAT === "JSON";
const MIN_LEVEL = (() => {
  const i = LEVELS.indexOf(String(process.env.AWS_LAMBDA_LOG_LEVEL || "INFO").toUpperCase());
  return i < 0 ? LEVELS.indexOf("INFO") : i;
})();
function patchConsole() {
  const write = (level) => (...args) => {
    if (!JSON_LOGS) {
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`);
      return;
    }
    if (LEVELS.indexOf(level) < MIN_LEVEL) return;
    const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId, message: format(...args) };
    const err = args.find((a) => a instanceof Error);
    if (err) {
      record.errorType = err.name;
      record.errorMessage = err.message;
      record.stackTrace = String(err.stack || "").split("\n");
    }
    process.stdout.write(JSON.stringify(record) + "\n");
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
  console.fatal = write("FATAL");
}

class HandlerError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

function errorBody(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      trace: String(err.stack || "").split("\n"),
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

async function loadHandler(taskRoot, handler) {
  const m = /^([^.]*)\.(.*)$/.exec(handler);
  if (!m) throw new HandlerError("Runtime.MalformedHandlerName", `Bad handler ${handler}`);
  const [, modulePath, name] = m;
  const base = path.resolve(taskRoot, modulePath);
  const file = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) throw new HandlerError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`);
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err instanceof SyntaxError) throw new HandlerError("Runtime.UserCodeSyntaxError", `${err.name}: ${err.message}`);
    throw new HandlerError("Runtime.ImportModuleError", `${err.name}: ${err.message}`);
  }
  const lookup = (obj) => name.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
  const fn = lookup(mod) ?? lookup(mod.default);
  if (typeof fn !== "function") {
    throw new HandlerError("Runtime.HandlerNotFound", `${handler} is undefined or not exported`);
  }
  return fn;
}

function makeContext(headers) {
  const env = process.env;
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const parse = (v) => (v ? JSON.parse(v) : undefined);
  return {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers["lambda-runtime-client-context"]),
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function runHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, data) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(data);
    };
    context.done = callback;
    context.succeed = (data) => callback(null, data);
    context.fail = (err) => callback(err ?? new Error("handled"));
    try {
      const r = fn(event, context, callback);
      if (r && typeof r.then === "function") r.then((v) => callback(null, v), (e) => callback(e ?? new Error("rejected")));
      else if (fn.length < 3 && r !== undefined) callback(null, r);
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  patchConsole();
  let fn;
  try {
    fn = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || "");
  } catch (err) {
    const body = errorBody(err);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await post("/init/error", JSON.stringify(body), body.errorType);
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    if (next.status !== 200) throw new Error(`runtime API returned ${next.status} for next invocation`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    currentRequestId = id;
    const trace = next.headers["lambda-runtime-trace-id"];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    const context = makeContext(next.headers);
    const text = next.body.toString("utf8");
    try {
      const event = text ? JSON.parse(text) : {};
      const result = await runHandler(fn, event, context);
      const payload = result === undefined ? "null" : JSON.stringify(result);
      await post(`/invocation/${id}/response`, payload);
    } catch (err) {
      const body = errorBody(err);
      console.error("Invoke Error \t" + JSON.stringify(body));
      await post(`/invocation/${id}/error`, JSON.stringify(body), body.errorType);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bootstrap: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
