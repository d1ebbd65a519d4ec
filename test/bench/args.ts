// The command line of `npm run bench -- [--json FILE] [--quick] [--only GROUPS]`.
import { parseArgs } from "node:util";

/** The groups of figures, in the order they run; `--only` picks some of them. */
export const GROUPS = [
  "decode",
  "handler",
  "coldStart",
  "ops",
  "emulators",
  "pipeline",
  "vsGoogle",
  "deployment",
  "capacity",
  "readApi",
  "console",
  "soak",
] as const;
export type Group = (typeof GROUPS)[number];

export const usage = `Usage: npm run bench -- [--json FILE] [--quick] [--only GROUPS] [--profile GROUP]

Measures the project's performance figures side by side in one run and prints a table (progress on stderr).

  --json FILE    also write the figures as JSON to FILE
  --quick        tiny sizes and one repetition: checks that every figure runs, numbers mean little
  --only GROUPS  run only these groups (comma-separated), among
                 ${GROUPS.join(", ")}
                 (vsGoogle: the embedded emulators against Google's own; "not measured" without them;
                 capacity: the capacity model on firestore.indexes.json at the measured CPU per message;
                 readApi: the built scansApi against the SDK's reads, so npm run build first;
                 console: the web console in Debian's chromium over 100,000 services ÷ over 100;
                 soak: 100,000 messages through the pipeline, memory and throughput from start to end)
  --profile GROUP  run only GROUP under V8's CPU profiler, in this process and every Node child it starts,
                 and print each process's self time by package family (ours, functions-framework, the
                 Google clients, grpc, node) and its heaviest frames; the .cpuprofile files are kept
  -h, --help     this text`;

export class UsageError extends Error {}

export interface BenchOptions {
  jsonFile: string | undefined;
  quick: boolean;
  /** Undefined: every group. */
  only?: Group[] | undefined;
  /** Profile this group (and run only it). */
  profile?: Group | undefined;
}

/** Reads the command line; a bad flag throws UsageError naming it. */
export function parseBenchArgs(args: readonly string[]): BenchOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      options: {
        json: { type: "string" },
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        profile: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.json === "") throw new UsageError("--json needs a file name");
  const options: BenchOptions = { jsonFile: values.json, quick: values.quick };
  if (values.only !== undefined) {
    const names = values.only.split(",").map((name) => name.trim());
    const unknown = names.filter((name) => !(GROUPS as readonly string[]).includes(name));
    if (unknown.length > 0 || names.length === 0)
      throw new UsageError(`--only takes groups among ${GROUPS.join(", ")}; got "${values.only}"`);
    options.only = names as Group[];
  }
  if (values.profile !== undefined) {
    const group = values.profile.trim();
    if (!(GROUPS as readonly string[]).includes(group))
      throw new UsageError(`--profile takes one group among ${GROUPS.join(", ")}; got "${values.profile}"`);
    if (options.only !== undefined && (options.only.length !== 1 || options.only[0] !== group))
      throw new UsageError(`--profile ${group} runs only ${group}: drop --only or make it --only ${group}`);
    options.profile = group as Group;
    options.only = [group as Group];
  }
  return options;
}
