// The workspace's package graph: what each package imports it declares, no relative import reaches into
// another package, and the declared graph has no cycle, so each package can be read, built and tested on
// top of the ones below it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";

const root = new URL("../", import.meta.url).pathname;
type Manifest = { name: string; dependencies?: object; devDependencies?: object; workspaces?: string[] };
const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Manifest;
const workspaces = readManifest(".").workspaces!;
const packages = new Map(workspaces.map((dir) => [dir, readManifest(dir)]));
const ours = (manifest: Manifest) =>
  Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) =>
    name.startsWith("@scan-ingest/"),
  );

const tracked = execFileSync("git", ["ls-files", "*.ts", "*.tsx"], { cwd: root, encoding: "utf8" })
  .split("\n")
  .filter(Boolean);
/** The workspace a file belongs to: the longest workspace directory that holds it, else the root ("."). */
const workspaceOf = (file: string) =>
  workspaces.filter((dir) => file.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length)[0] ?? ".";
const importsOf = (file: string) =>
  [
    ...readFileSync(join(root, file), "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g),
  ].map(([, specifier]) => specifier!);

describe("the workspace's packages", () => {
  test("each file imports only the @scan-ingest packages its package declares", () => {
    const undeclared: string[] = [];
    for (const file of tracked) {
      const dir = workspaceOf(file);
      const declared = new Set(ours(dir === "." ? readManifest(".") : packages.get(dir)!));
      for (const specifier of importsOf(file)) {
        const name = /^@scan-ingest\/[^/]+/.exec(specifier)?.[0];
        if (name && name !== (packages.get(dir)?.name ?? "") && !declared.has(name))
          undeclared.push(`${file} imports ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  test("no relative import reaches into another package", () => {
    const crossing: string[] = [];
    for (const file of tracked) {
      const from = workspaceOf(file);
      for (const specifier of importsOf(file).filter((text) => text.startsWith("."))) {
        const target = relative(root, resolve(root, dirname(file), specifier));
        if (workspaceOf(target) !== from) crossing.push(`${file} imports ${specifier}`);
      }
    }
    expect(crossing).toEqual([]);
  });

  test("the declared dependencies between packages have no cycle", () => {
    const byName = new Map([...packages.values()].map((manifest) => [manifest.name, manifest]));
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (path.includes(name))
        return void cycles.push([...path.slice(path.indexOf(name)), name].join(" -> "));
      for (const next of ours(byName.get(name)!)) visit(next, [...path, name]);
    };
    for (const name of byName.keys()) visit(name, []);
    expect(cycles).toEqual([]);
  });
});
