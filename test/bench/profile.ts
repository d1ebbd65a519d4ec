// `npm run bench -- --profile GROUP`: V8 CPU profiles of every process the group runs (this one through the
// inspector, its children through --cpu-prof), and each profile's self time summed by package and by frame.
// Frames inside functions/build.ts's bundles are traced back to their sources through the bundle's source map.
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import Module, { createRequire, SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { repositoryRoot } from "./measure.ts";

/** The parts of a .cpuprofile (Chrome DevTools' format) read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's time goes: the package families the issue names, then any other package by name. */
export type Family = "ours" | "functions-framework" | "Google clients" | "grpc" | "node" | string;

export interface FrameTime {
  /** functionName (or "(anonymous)") at source path:line. */
  frame: string;
  family: Family;
  /** The npm package, "ours" or "node". */
  pkg: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** The process's name (processLabel). */
  process: string;
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  families: Array<{ family: Family; selfMs: number }>;
  frames: FrameTime[];
}

/**
 * The roots of each family: a package belongs to the family of a root it is, else to the first family whose
 * roots' dependency closure holds it. protobufjs is the Google clients' encoding, though grpc's loader has it too.
 */
const FAMILY_ROOTS: Array<[Family, string[]]> = [
  ["grpc", ["@grpc/grpc-js", "@grpc/proto-loader"]],
  ["functions-framework", ["@google-cloud/functions-framework"]],
  [
    "Google clients",
    ["@google-cloud/firestore", "@google-cloud/pubsub", "google-gax", "google-auth-library", "protobufjs"],
  ],
];

const require = createRequire(join(repositoryRoot, "package.json"));

/** The package's installed dependencies (none when it cannot be read). */
function dependenciesOf(pkg: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    return Object.keys(manifest.dependencies ?? {});
  } catch {
    // Packages whose exports hide package.json: found in node_modules directly.
    try {
      const manifest = JSON.parse(
        readFileSync(join(repositoryRoot, "node_modules", pkg, "package.json"), "utf8"),
      ) as { dependencies?: Record<string, string> };
      return Object.keys(manifest.dependencies ?? {});
    } catch {
      return [];
    }
  }
}

let familyOfPackage: Map<string, Family> | undefined;

/** The family of an npm package, from the installed dependency graph. */
export function familyOf(pkg: string): Family {
  if (familyOfPackage === undefined) {
    const families = (familyOfPackage = new Map());
    for (const [family, roots] of FAMILY_ROOTS) for (const root of roots) families.set(root, family);
    for (const [family, roots] of FAMILY_ROOTS) {
      const pending = roots.flatMap(dependenciesOf);
      while (pending.length > 0) {
        const name = pending.pop()!;
        if (families.has(name)) continue;
        families.set(name, family);
        pending.push(...dependenciesOf(name));
      }
    }
  }
  return familyOfPackage.get(pkg) ?? pkg;
}

/** The npm package a file belongs to (the last node_modules in its path), "ours" for the repository's own. */
export function packageOfPath(path: string): string {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return "ours";
  const name = parts[at + 1] ?? "";
  return name.startsWith("@") ? `${name}/${parts[at + 2] ?? ""}` : name;
}

/** The bundle's source map, when functions/build.ts wrote one beside it. */
const sourceMaps = new Map<string, SourceMap | undefined>();
function sourceMapOf(file: string): SourceMap | undefined {
  if (!sourceMaps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
}

/** Functions/build.ts's loader compiles each bundle inside Node's CommonJS wrapper, on its first line. */
const WRAPPER_COLUMNS = (Module as unknown as { wrapper: [string, string] }).wrapper[0].length;

/** Where a profiled frame's code came from: its source file (through a source map) and line. */
function locate(frame: CpuProfile["nodes"][number]["callFrame"]): { path: string; line: number } | undefined {
  const { url, lineNumber, columnNumber } = frame;
  // Node's own code: its built-in modules, native frames and the WebAssembly of its TypeScript stripper.
  if (!url.startsWith("file:") && !url.startsWith("/")) return undefined;
  const file = url.startsWith("file:") ? fileURLToPath(url) : url;
  const map = file.endsWith(".js") ? sourceMapOf(file) : undefined;
  if (map !== undefined) {
    const column = lineNumber === 0 ? Math.max(0, columnNumber - WRAPPER_COLUMNS) : columnNumber;
    const entry = map.findEntry(lineNumber, column) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource !== undefined) {
      const source = entry.originalSource.startsWith("file:")
        ? fileURLToPath(entry.originalSource)
        : join(dirname(file), entry.originalSource);
      return { path: source, line: (entry.originalLine ?? 0) + 1 };
    }
  }
  return { path: file, line: lineNumber + 1 };
}

/** Self time by family and by frame; `top` frames, heaviest first. */
export function summarise(profile: CpuProfile, process: string, top = 15): ProfileSummary {
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  const byFrame = new Map<string, FrameTime>();
  const byFamily = new Map<Family, number>();
  let busyMs = 0;
  for (const node of profile.nodes) {
    const { callFrame } = node;
    const located = locate(callFrame);
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0 || callFrame.functionName === "(idle)") continue;
    busyMs += ms;
    const pkg = located === undefined ? "node" : packageOfPath(located.path);
    const family = pkg === "ours" || pkg === "node" ? pkg : familyOf(pkg);
    const where =
      located === undefined
        ? callFrame.url || "native"
        : `${pkg === "ours" ? relative(repositoryRoot, located.path) : located.path.slice(located.path.lastIndexOf(`node_modules${sep}`) + 13)}:${located.line}`;
    const name = `${callFrame.functionName || "(anonymous)"} ${where}`;
    const frame = byFrame.get(name) ?? { frame: name, family, pkg, selfMs: 0 };
    frame.selfMs += ms;
    byFrame.set(name, frame);
    byFamily.set(family, (byFamily.get(family) ?? 0) + ms);
  }
  return {
    process,
    busyMs,
    families: [...byFamily]
      .map(([family, ms]) => ({ family, selfMs: ms }))
      .sort((a, b) => b.selfMs - a.selfMs),
    frames: [...byFrame.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
  };
}

/** The summaries as text: per process, its families' shares, then its heaviest frames. */
export function formatProfiles(summaries: readonly ProfileSummary[]): string {
  const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1).padStart(5)} %`;
  return summaries
    .map((summary) => {
      const lines = [`${summary.process}: ${summary.busyMs.toFixed(0)} ms busy`];
      lines.push("  by package family:");
      for (const { family, selfMs } of summary.families.slice(0, 10))
        lines.push(`    ${percent(selfMs, summary.busyMs)}  ${selfMs.toFixed(0).padStart(7)} ms  ${family}`);
      lines.push("  top self time:");
      for (const frame of summary.frames)
        lines.push(
          `    ${percent(frame.selfMs, summary.busyMs)}  ${frame.selfMs.toFixed(0).padStart(7)} ms  ` +
            `[${frame.family === frame.pkg ? frame.family : `${frame.family}: ${frame.pkg}`}] ${frame.frame}`,
        );
      return lines.join("\n");
    })
    .join("\n\n");
}

let active = false;

/** True while bench --profile runs (its builds are then kept for their source maps). */
export function isProfiling(): boolean {
  return active;
}

/**
 * Preloaded into every profiled child: writes its command line to DIRECTORY/PID.argv, so that each profile
 * (named after its pid by --cpu-prof) is named after its process.
 */
const labelPreload = (directory: string) =>
  `data:text/javascript,${encodeURIComponent(
    `import { writeFileSync } from "node:fs";
     writeFileSync(${JSON.stringify(directory)} + "/" + process.pid + ".argv", JSON.stringify(process.argv.slice(1)));`,
  )}`;

/** A process's name from its command line: a function server by its target and source, else its script. */
export function processLabel(argv: readonly string[]): string {
  const flag = (name: string) => argv[argv.indexOf(name) + 1];
  if (argv.includes("--target"))
    return `functions-framework ${flag("--target")} from ${relative(repositoryRoot, flag("--source") ?? "")}`;
  const script = argv[0] ?? "unknown";
  return `${script.startsWith("/") ? relative(repositoryRoot, script) : script}${argv.length > 1 ? ` ${argv.slice(1).join(" ")}` : ""}`;
}

export interface Profiling {
  directory: string;
  /** Stops the profiles and returns every process's summary, heaviest process first. */
  finish(): Promise<ProfileSummary[]>;
}

/**
 * Profiles this process from now on, and every Node child started later whose environment carries this
 * process's NODE_OPTIONS (the benches pass it on); each child writes its profile when it exits.
 */
export async function startProfiling(): Promise<Profiling> {
  const directory = await mkdtemp(join(tmpdir(), "bench-profile-"));
  process.env.NODE_OPTIONS = [
    process.env.NODE_OPTIONS,
    "--cpu-prof",
    `--cpu-prof-dir=${directory}`,
    `--import=${labelPreload(directory)}`,
  ]
    .filter(Boolean)
    .join(" ");
  active = true;
  const session = new Session();
  session.connect();
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    directory,
    async finish() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      await writeFile(join(directory, "bench.cpuprofile"), JSON.stringify(profile));
      const files = (await readdir(directory)).filter((name) => name.endsWith(".cpuprofile"));
      const summaries = await Promise.all(
        files.map(async (name) => {
          // --cpu-prof's names: CPU.date.time.pid.thread.sequence.cpuprofile
          const pid = name.split(".")[3];
          const argv = await readFile(join(directory, `${pid}.argv`), "utf8").then(
            (text) => JSON.parse(text) as string[],
            () => undefined,
          );
          const label =
            name === "bench.cpuprofile"
              ? "npm run bench (this process)"
              : argv === undefined
                ? `process ${pid}`
                : processLabel(argv);
          return summarise(JSON.parse(await readFile(join(directory, name), "utf8")) as CpuProfile, label);
        }),
      );
      return summaries.filter((summary) => summary.busyMs > 0).sort((a, b) => b.busyMs - a.busyMs);
    },
  };
}
