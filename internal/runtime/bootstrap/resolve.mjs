// Module resolution hook of the Node.js bootstrap: a bare specifier that
// the function's own code does not resolve (it bundles no such package) is
// looked up in the node_modules directories of NODE_PATH, where the SDK the
// runtime ships is. require() reads NODE_PATH itself; ESM import does not.

import path from "node:path";
import { pathToFileURL } from "node:url";

const dirs = (process.env.NODE_PATH || "")
  .split(path.delimiter)
  .filter((d) => path.basename(d) === "node_modules");

function bare(specifier) {
  return !/^(?:[./]|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !bare(specifier)) throw err;
    for (const dir of dirs) {
      const parentURL = pathToFileURL(path.join(path.dirname(dir), "index.mjs")).href;
      try {
        return await next(specifier, { ...context, parentURL });
      } catch {
        // not in this directory either
      }
    }
    throw err;
  }
}
