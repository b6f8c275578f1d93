// Module resolution hook of the Node.js bootstrap (registered with
// module.register). An ESM import of a bare specifier that the importing
// file's own node_modules lookups cannot find is resolved, as require does,
// from the directories of NODE_PATH: the SDK the runtime ships, then the
// runtime directory. The function's own packages therefore win over the
// runtime's, as in Lambda.

import path from "node:path";
import { pathToFileURL } from "node:url";

const dirs = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);

function bare(specifier) {
  return !specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.startsWith("node:") &&
    !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !bare(specifier)) throw err;
    for (const dir of dirs) {
      // A parent inside dir's parent looks in dir when dir is a
      // node_modules directory, and in dir/node_modules otherwise.
      const parent = path.basename(dir) === "node_modules" ? path.dirname(dir) : dir;
      try {
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(path.join(parent, "rolecall-resolve.mjs")).href });
      } catch (again) {
        if (again?.code !== "ERR_MODULE_NOT_FOUND") throw again;
      }
    }
    throw err;
  }
}
