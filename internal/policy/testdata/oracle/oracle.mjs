// oracle.mjs evaluates authorization cases with @cloud-copilot/iam-simulate.
//
// Usage: node oracle.mjs MODULES_DIR < cases.jsonl > results.jsonl
//
// MODULES_DIR is the node_modules directory the package was installed into
// (the tests install it into a cache directory at test time). Every input line
// is {"id": "...", "simulation": {...}} where simulation is the package's
// Simulation shape. Every output line is
// {"id": "...", "result": "Allowed|ExplicitlyDenied|ImplicitlyDenied",
//  "ignored": [...], "error": null | {...}}
// in input order. runSimulation runs in Strict mode.
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

const modulesDir = process.argv[2]
if (!modulesDir) {
  console.error('usage: node oracle.mjs MODULES_DIR < cases.jsonl')
  process.exit(2)
}
const require = createRequire(join(resolve(modulesDir), '..', 'package.json'))
const { runSimulation } = require('@cloud-copilot/iam-simulate')

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (line.trim() === '') continue
  const { id, simulation } = JSON.parse(line)
  let out
  try {
    const r = await runSimulation(simulation, { simulationMode: 'Strict' })
    if (r.resultType === 'error') {
      out = { id, result: '', ignored: [], error: r.errors }
    } else if (r.resultType === 'single') {
      out = { id, result: r.overallResult, ignored: r.result.ignoredContextKeys ?? [], error: null }
    } else {
      const ignored = [...new Set(r.results.flatMap((x) => x.ignoredContextKeys ?? []))]
      out = { id, result: r.overallResult, ignored, error: null }
    }
  } catch (e) {
    out = { id, result: '', ignored: [], error: { message: 'exception', detail: String(e && e.stack ? e.stack : e) } }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
