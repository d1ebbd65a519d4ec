import { describe, expect, test } from "vitest";
import { GO_SCANNER_KEYSPACE, MAX_IPS } from "../src/generate.ts";
import { OptionsError, parseOptions, type Environment, type ScannerOptions } from "../src/options.ts";

const parse = (argv: string[], env: Environment = {}) => parseOptions(argv, env) as ScannerOptions;

describe("parseOptions", () => {
  test("defaults to the Go scanner on the local demo project and its emulator", () => {
    expect(parse([])).toEqual({
      project: "demo-scan",
      topic: "scan-topic",
      rate: 1,
      keyspace: GO_SCANNER_KEYSPACE,
      emulatorHost: "127.0.0.1:8085",
    });
  });

  test("reads every flag", () => {
    const argv = [
      ...["--project", "demo-other", "--topic", "t", "--rate", "2.5", "--count", "7", "--duration", "0.5"],
      ...["--ips", "300", "--ports", "2", "--services", "HTTP, ssh", "--seed", "s", "--record", "r.jsonl"],
    ];
    expect(parse(argv)).toEqual({
      project: "demo-other",
      topic: "t",
      rate: 2.5,
      count: 7,
      duration: 0.5,
      keyspace: { ips: 300, ports: 2, services: ["HTTP", "ssh"] },
      seed: "s",
      record: "r.jsonl",
      emulatorHost: "127.0.0.1:8085",
    });
  });

  test("reads each flag from its SCANNER_ variable when the flag is absent", () => {
    const env = {
      SCANNER_PROJECT: "demo-env",
      SCANNER_TOPIC: "t",
      SCANNER_RATE: "100",
      SCANNER_COUNT: "3",
      SCANNER_DURATION: "9",
      SCANNER_IPS: "1",
      SCANNER_PORTS: "65536",
      SCANNER_SERVICES: "DNS",
      SCANNER_SEED: "x",
      SCANNER_RECORD: "out.jsonl",
    };
    expect(parse([], env)).toEqual({
      project: "demo-env",
      topic: "t",
      rate: 100,
      count: 3,
      duration: 9,
      keyspace: { ips: 1, ports: 65536, services: ["DNS"] },
      seed: "x",
      record: "out.jsonl",
      emulatorHost: "127.0.0.1:8085",
    });
  });

  test("prefers the flag to its variable", () => {
    expect(parse(["--rate", "5"], { SCANNER_RATE: "7" }).rate).toBe(5);
  });

  test.each<[string, Environment, string, string | undefined]>([
    ["uses GOOGLE_CLOUD_PROJECT", { GOOGLE_CLOUD_PROJECT: "prod" }, "prod", undefined],
    ["uses GCLOUD_PROJECT", { GCLOUD_PROJECT: "demo-g" }, "demo-g", "127.0.0.1:8085"],
    [
      "uses PUBSUB_EMULATOR_HOST",
      { GOOGLE_CLOUD_PROJECT: "prod", PUBSUB_EMULATOR_HOST: "h:1" },
      "prod",
      "h:1",
    ],
    [
      "prefers SCANNER_PROJECT",
      { SCANNER_PROJECT: "demo-a", GOOGLE_CLOUD_PROJECT: "b" },
      "demo-a",
      "127.0.0.1:8085",
    ],
  ])("%s and picks Pub/Sub from it", (_name, env, project, emulatorHost) => {
    const options = parse([], env);
    expect(options.project).toBe(project);
    expect(options.emulatorHost).toBe(emulatorHost);
  });

  test.each<[string, string[], Environment, string]>([
    [
      "a rate that is not a number",
      ["--rate", "fast"],
      {},
      '--rate: expected a number of messages per second above 0, got "fast"',
    ],
    ["a rate of zero", ["--rate", "0"], {}, "--rate: expected"],
    ["an empty rate", ["--rate", " "], {}, "--rate: expected"],
    [
      "a fractional count",
      ["--count", "1.5"],
      {},
      '--count: expected a whole number of messages above 0, got "1.5"',
    ],
    ["a negative duration", ["--duration=-1"], {}, "--duration: expected"],
    [
      "too many addresses",
      ["--ips", String(MAX_IPS + 1)],
      {},
      `--ips: expected an integer from 1 to ${MAX_IPS}`,
    ],
    ["too many ports", ["--ports", "65537"], {}, "--ports: expected an integer from 1 to 65536"],
    [
      "a service the contract refuses",
      ["--services", "HTTP,,DNS"],
      {},
      '--services: "" is not a service name',
    ],
    [
      "a bad variable",
      [],
      { SCANNER_PORTS: "many" },
      'SCANNER_PORTS: expected an integer from 1 to 65536, got "many"',
    ],
    ["an unknown flag", ["--speed", "3"], {}, "Unknown option '--speed'"],
    ["a positional argument", ["now"], {}, "now"],
  ])("refuses %s, naming it", (_name, argv, env, message) => {
    expect(() => parseOptions(argv, env)).toThrow(OptionsError);
    expect(() => parseOptions(argv, env)).toThrow(message);
  });

  test("answers help for --help and -h", () => {
    expect(parseOptions(["--help"], {})).toBe("help");
    expect(parseOptions(["-h", "--rate", "x"], {})).toBe("help");
  });
});
