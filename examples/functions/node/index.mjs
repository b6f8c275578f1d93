// Example Lambda function for the nodejs runtimes (handler: index.handler).
// The event's "action" chooses what it does: echo, whoami, sleep (ms),
// crash, error (message), env (names), spawn (ms), print (lines), big
// (bytes), context. Built-in modules only; whoami signs an STS request.

import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";

const DEFAULT_ENV = [
  "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "_HANDLER",
  "TZ", "LANG", "PATH", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function handler(event, context) {
  const action = event?.action ?? "echo";
  switch (action) {
    case "echo":
      return event;
    case "whoami":
      return whoami();
    case "sleep":
      await sleep(event.ms ?? 0);
      return { slept: event.ms ?? 0 };
    case "crash":
      console.log("crashing");
      process.exit(1);
    case "error":
      throw new TypeError(event.message ?? "error");
    case "env": {
      const names = event.names?.length ? event.names : DEFAULT_ENV;
      const out = Object.fromEntries(names.filter((n) => n in process.env).map((n) => [n, process.env[n]]));
      return { ...out, _cwd: process.cwd(), _uid: process.getuid(), _count: Object.keys(process.env).length };
    }
    case "context":
      return {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        memoryLimitInMB: context.memoryLimitInMB,
        invokedFunctionArn: context.invokedFunctionArn,
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        remainingMs: context.getRemainingTimeInMillis(),
      };
    case "spawn": {
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
      console.log(`child ${child.pid}`);
      await sleep(event.ms ?? 0);
      return { pid: child.pid };
    }
    case "print":
      (event.lines ?? []).forEach((l, i) => (i % 2 ? process.stderr : process.stdout).write(l + "\n"));
      return { printed: (event.lines ?? []).length };
    case "big":
      return "x".repeat(event.bytes ?? 0);
  }
  throw new Error(`unknown action ${action}`);
}

// whoami calls STS GetCallerIdentity with a SigV4-signed POST.
async function whoami() {
  const env = process.env;
  const region = env.AWS_REGION ?? "us-east-1";
  const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? `https://sts.${region}.amazonaws.com`;
  const url = new URL(endpoint);
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    host: url.host,
    "x-amz-date": amzDate,
  };
  if (env.AWS_SESSION_TOKEN) headers["x-amz-security-token"] = env.AWS_SESSION_TOKEN;
  const names = Object.keys(headers).sort();
  const sha = (s) => createHash("sha256").update(s).digest("hex");
  const canonical = ["POST", url.pathname || "/", "", names.map((k) => `${k}:${headers[k]}\n`).join(""), names.join(";"), sha(body)].join("\n");
  const scope = `${day}/${region}/sts/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha(canonical)].join("\n");
  let key = "AWS4" + env.AWS_SECRET_ACCESS_KEY;
  for (const part of [day, region, "sts", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${env.AWS_ACCESS_KEY_ID}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  delete headers.host;
  const res = await fetch(endpoint, { method: "POST", headers, body });
  const xml = await res.text();
  const field = (n) => xml.match(new RegExp(`<${n}>([^<]*)</${n}>`))?.[1] ?? null;
  return { arn: field("Arn"), account: field("Account"), userId: field("UserId") };
}
