// Checks a notebook that dotnet-repl ran (its --output-path file): fails on any code cell that raised an error or that
// dotnet-repl did not mark as finished, and on any
// "result: ... accuracy X" line below the lesson's result; --expect-result requires at least one such line.
// --images DIR writes every PNG the notebook drew (data:image/png in its HTML outputs) to DIR, to look at.
// Usage: node check.mjs OUT.ipynb [--expect-result] [--min-accuracy 0.96] [--images DIR]
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
const path = args[0];
const flag = (name) => args.includes(name);
const value = (name, fallback) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : fallback);
const minAccuracy = Number(value("--min-accuracy", "0.96"));
const imagesDir = value("--images", null);

const notebook = JSON.parse(readFileSync(path, "utf8"));
const text = (output) =>
  [output.text, output.data?.["text/plain"], output.data?.["text/html"]]
    .filter((part) => part !== undefined)
    .map((part) => (Array.isArray(part) ? part.join("") : String(part)))
    .join("\n");

const failures = [];
const results = [];
let images = 0;
notebook.cells.forEach((cell, index) => {
  if (cell.cell_type !== "code") return;
  const source = (Array.isArray(cell.source) ? cell.source.join("") : cell.source).split("\n")[0];
  if (!cell.metadata?.dotnet_repl_cellExecutionEndTime) failures.push(`cell ${index} (${source}) did not run to its end`);
  for (const output of cell.outputs ?? []) {
    if (output.output_type === "error")
      failures.push(`cell ${index} (${source}): ${output.ename}: ${String(output.evalue).split("\n").slice(0, 6).join("\n  ")}`);
    const body = text(output);
    for (const match of body.matchAll(/result: ([^\n<]*?accuracy (\d+\.\d+))/g)) {
      results.push(match[1]);
      if (!(Number(match[2]) >= minAccuracy)) failures.push(`cell ${index}: ${match[1]} is below ${minAccuracy}`);
    }
    if (imagesDir)
      for (const match of body.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)) {
        mkdirSync(imagesDir, { recursive: true });
        writeFileSync(`${imagesDir}/${basename(path, ".ipynb")}-cell${index}-${++images}.png`, Buffer.from(match[1], "base64"));
      }
  }
});
if (flag("--expect-result") && results.length === 0) failures.push('no "result: ... accuracy X" line in any output');
for (const result of results) console.log(`${basename(path)}: ${result}`);
if (failures.length > 0) {
  console.error(`${basename(path)}: FAILED\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(`${basename(path)}: ${notebook.cells.filter((cell) => cell.cell_type === "code").length} code cells ran without an error`);
