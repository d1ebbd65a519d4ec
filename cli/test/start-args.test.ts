// `npm start`'s command line (cli/start/args.ts): its own flags, the scanner's passed on, and the exact message of
// every refusal (main.ts prints it after "npm start: " and exits 2). test/start.test.ts runs the whole command.
import { describe, expect, test } from "vitest";
import { DEFAULT_PORTS } from "@scan-ingest/pipeline/defaults";
import { parseOptions, USAGE as SCANNER_USAGE } from "@scan-ingest/scanner";
import { parseStartArgs, StartUsageError, type StartOptions } from "../start/args.ts";

type Env = Record<string, string | undefined>;

/** The options, asserting the command line is not refused and asks for no help. */
function parsed(argv: string[], env: Env = {}): StartOptions {
  const options = parseStartArgs(argv, env);
  if (options === "help") throw new Error(`${JSON.stringify(argv)} asked for help`);
  return options;
}

/** The StartUsageError a command line is refused with. */
function refusal(argv: string[], env: Env = {}): StartUsageError {
  try {
    parseStartArgs(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(StartUsageError);
    return error as StartUsageError;
  }
  throw new Error(`${JSON.stringify(argv)} was not refused`);
}

describe("parseStartArgs reads", () => {
  test("no flags: the embedded emulators, one function server, the default ports and scanner", () => {
    expect(parsed([])).toEqual({
      emulators: "embedded",
      instances: 1,
      duplicateStorm: false,
      functionPort: DEFAULT_PORTS.function,
      consolePort: DEFAULT_PORTS.console,
      firestorePort: DEFAULT_PORTS.firestore,
      pubsubPort: DEFAULT_PORTS.pubsub,
      firestoreHost: undefined,
      pubsubHost: undefined,
      json: false,
      scanner: parseOptions([], {}),
    });
  });

  test.each<[string, string[]]>([
    ["--flag value", ["--emulators", "google", "--instances", "3", "--function-port", "9000"]],
    ["--flag=value", ["--emulators=google", "--instances=3", "--function-port=9000"]],
  ])("its own flags as %s", (_form, argv) => {
    expect(parsed(argv)).toMatchObject({ emulators: "google", instances: 3, functionPort: 9000 });
  });

  test("every port flag, 0 (a free port) and 65535 included, and the last of a repeated flag", () => {
    const argv = [
      "--console-port",
      "0",
      "--firestore-port",
      "65535",
      "--pubsub-port",
      "1",
      "--pubsub-port",
      "2",
    ];
    expect(parsed(argv)).toMatchObject({ consolePort: 0, firestorePort: 65535, pubsubPort: 2 });
  });

  test("function servers (and the front of shared ones) up to 65535, and any number of them on free ports", () => {
    expect(parsed(["--function-port", "65533", "--instances", "2"])).toMatchObject({ functionPort: 65533 });
    expect(parsed(["--function-port", "65534", "--duplicate-storm", "2"])).toMatchObject({
      functionPort: 65534,
    });
    expect(parsed(["--function-port", "65535"])).toMatchObject({ functionPort: 65535 });
    expect(parsed(["--function-port", "0", "--instances", "32"])).toMatchObject({ instances: 32 });
  });

  test("--instances N shares one subscription; --duplicate-storm N gives each server its own; --json", () => {
    expect(parsed(["--instances", "3"])).toMatchObject({ instances: 3, duplicateStorm: false, json: false });
    expect(parsed(["--duplicate-storm=3", "--json"])).toMatchObject({
      instances: 3,
      duplicateStorm: true,
      json: true,
    });
  });

  test("the emulators FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST name, an empty one as unset", () => {
    expect(parsed([], { FIRESTORE_EMULATOR_HOST: "127.0.0.1:9080", PUBSUB_EMULATOR_HOST: "" })).toMatchObject(
      {
        firestoreHost: "127.0.0.1:9080",
        pubsubHost: undefined,
      },
    );
  });

  test("every scanner flag its usage lists, as the scanner itself reads them, and its SCANNER_* variables", () => {
    const argv = [
      ...["--project", "demo-other", "--topic", "t", "--rate", "5", "--count", "10", "--duration", "2"],
      ...["--ips", "3", "--ports=4", "--services", "A,B", "--seed=-s", "--record", "/tmp/r.jsonl"],
    ];
    const flags = [...SCANNER_USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)].map(([, flag]) => flag);
    expect(flags.filter((flag) => flag !== "--help" && !argv.some((arg) => arg.startsWith(flag!)))).toEqual(
      [],
    );
    const env = { SCANNER_RATE: "7", PUBSUB_EMULATOR_HOST: "127.0.0.1:9085" };
    expect(parsed(argv, env).scanner).toEqual(parseOptions(argv, env));
    expect(parsed(["--instances", "2"], env).scanner).toEqual(parseOptions([], env));
  });

  test.each([[["--help"]], [["-h"]], [["--instances", "0", "--help"]], [["--help", "--rate", "fast"]]])(
    "%j as a request for help",
    (argv) => {
      expect(parseStartArgs(argv, {})).toBe("help");
    },
  );
});

describe("parseStartArgs refuses, with the message npm start prints", () => {
  test.each<[string, string[], string]>([
    ["an unknown flag", ["--bogus"], "Unknown option '--bogus'"],
    ["an unknown flag with a value", ["--instance=2"], "Unknown option '--instance'"],
    [
      "a positional argument",
      ["fast"],
      "Unexpected argument 'fast'. This command does not take positional arguments",
    ],
    ["a switch given a value", ["--help=yes"], "Option '-h, --help' does not take an argument"],
    ["a missing value", ["--function-port"], "--function-port needs a value, e.g. --function-port 2"],
    [
      "a value missing before another flag",
      ["--instances", "--count", "1"],
      "--instances needs a value, e.g. --instances 2",
    ],
    [
      "a missing value even with --help",
      ["--help", "--console-port"],
      "--console-port needs a value, e.g. --console-port 2",
    ],
    ["--emulators without a value", ["--emulators"], "--emulators needs a value, e.g. --emulators google"],
    ["a missing scanner value", ["--rate"], "Option '--rate <value>' argument missing"],
    ["no instances", ["--instances", "0"], '--instances: expected a whole number from 1 to 32, got "0"'],
    ["too many instances", ["--instances=33"], '--instances: expected a whole number from 1 to 32, got "33"'],
    ["a fraction", ["--instances", "1.5"], '--instances: expected a whole number from 1 to 32, got "1.5"'],
    ["an empty number", ["--instances="], '--instances: expected a whole number from 1 to 32, got ""'],
    [
      "a storm of none",
      ["--duplicate-storm", "0"],
      '--duplicate-storm: expected a whole number from 1 to 32, got "0"',
    ],
    [
      "both ways of giving the number of servers",
      ["--instances", "2", "--duplicate-storm", "2"],
      "--instances and --duplicate-storm both give the number of function servers: --instances N to share " +
        "one subscription, --duplicate-storm N for one subscription each",
    ],
    [
      "a negative port",
      ["--pubsub-port", "-1"],
      '--pubsub-port: expected a whole number from 0 to 65535, got "-1"',
    ],
    [
      "a negative port given inline",
      ["--firestore-port=-1"],
      '--firestore-port: expected a whole number from 0 to 65535, got "-1"',
    ],
    [
      "a port past 65535",
      ["--console-port", "65536"],
      '--console-port: expected a whole number from 0 to 65535, got "65536"',
    ],
    [
      "a port that is not a number",
      ["--firestore-port", "eighty"],
      '--firestore-port: expected a whole number from 0 to 65535, got "eighty"',
    ],
    [
      "a port in another notation",
      ["--function-port", "1e3"],
      '--function-port: expected a whole number from 0 to 65535, got "1e3"',
    ],
    [
      "function servers that pass 65535",
      ["--function-port", "65535", "--duplicate-storm", "2"],
      "--function-port: 2 servers from 65535 pass 65535",
    ],
    [
      "shared instances whose front and servers pass 65535",
      ["--function-port", "65534", "--instances", "2"],
      "--function-port: the front and 2 servers from 65534 pass 65535",
    ],
    [
      "unknown emulators",
      ["--emulators", "docker"],
      '--emulators: expected embedded or google, got "docker"',
    ],
    [
      "a bad scanner value",
      ["--rate", "fast"],
      '--rate: expected a number of messages per second above 0, got "fast"',
    ],
  ])("%s", (_name, argv, message) => {
    expect(refusal(argv).message).toBe(message);
  });

  test("a bad SCANNER_* variable, naming it", () => {
    expect(refusal([], { SCANNER_COUNT: "0" }).message).toBe(
      'SCANNER_COUNT: expected a whole number of messages above 0, got "0"',
    );
  });

  test.each(["FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"])(
    "--emulators google while %s names an emulator",
    (variable) => {
      expect(refusal(["--emulators", "google"], { [variable]: "127.0.0.1:9000" }).message).toBe(
        "--emulators google starts Google's emulators, but FIRESTORE_EMULATOR_HOST or PUBSUB_EMULATOR_HOST " +
          "already names one: unset them, or drop the flag to use the emulators they name",
      );
    },
  );
});
