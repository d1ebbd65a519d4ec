// The command line of `npm run bench -- [--json FILE] [--quick]`.
import { parseArgs } from "node:util";

export const usage = `Usage: npm run bench -- [--json FILE] [--quick]

Measures the figures of issue 7 side by side in one run and prints a table (progress on stderr).

  --json FILE   also write the figures as JSON to FILE
  --quick       tiny sizes and one repetition: checks that every figure runs, numbers mean little
  -h, --help    this text`;

export class UsageError extends Error {}

export interface BenchOptions {
  jsonFile: string | undefined;
  quick: boolean;
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
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.json === "") throw new UsageError("--json needs a file name");
  return { jsonFile: values.json, quick: values.quick };
}
