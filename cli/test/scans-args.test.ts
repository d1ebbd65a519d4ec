import { describe, expect, test } from "vitest";
import { DEFAULT_LIMIT, parseScansArgs, UsageError, type ScansRequest } from "../scans/args.ts";

describe("parseScansArgs", () => {
  test.each<[string, string[], ScansRequest]>([
    [
      "keys an IPv4 service the way the function does",
      ["get", "1.1.1.7", "443", "http"],
      { command: "get", key: "1.1.1.7:443:HTTP", json: false },
    ],
    [
      "canonicalises an IPv6 address to RFC 5952",
      ["get", "2001:DB8:0::1", "22", "ssh"],
      { command: "get", key: "[2001:db8::1]:22:SSH", json: false },
    ],
    [
      "stores an IPv4-mapped address as IPv4",
      ["get", "::FFFF:1.1.1.7", "0", "DNS", "--json"],
      { command: "get", key: "1.1.1.7:0:DNS", json: true },
    ],
    [
      "lists with no filters, newest first, up to the default limit",
      ["list"],
      { command: "list", limit: DEFAULT_LIMIT, json: false },
    ],
    [
      "lists with every filter, canonical",
      [
        "list",
        "--ip",
        "2001:db8:0:0:0:0:0:1",
        "--port",
        "22",
        "--service",
        "ssh",
        "--since",
        "2026-11-22T10:00:00Z",
        "--limit",
        "5",
        "--json",
      ],
      {
        command: "list",
        ip: "2001:db8::1",
        port: 22,
        service: "SSH",
        since: new Date("2026-11-22T10:00:00Z"),
        limit: 5,
        json: true,
      },
    ],
    [
      "lists rejects of one reason",
      ["rejects", "--reason", "invalid_ip", "--limit", "1"],
      { command: "rejects", reason: "invalid_ip", limit: 1, json: false },
    ],
    [
      "reads a history as three arguments",
      ["history", "::ffff:1.1.1.7", "443", "http", "--limit", "5"],
      { command: "history", key: "1.1.1.7:443:HTTP", limit: 5, json: false },
    ],
    [
      "reads a history as one key, IPv6 bracketed or not",
      ["history", "[2001:DB8::1]:22:ssh", "--json"],
      { command: "history", key: "[2001:db8::1]:22:SSH", limit: 20, json: true },
    ],
    [
      "reads a key with a bare IPv6 address",
      ["get", "2001:db8::1:22:ssh"],
      { command: "get", key: "[2001:db8::1]:22:SSH", json: false },
    ],
    ["asks for help with no command", [], { command: "help" }],
    ["asks for help with --help", ["--help"], { command: "help" }],
  ])("%s", (_name, argv, request) => {
    expect(parseScansArgs(argv)).toEqual(request);
  });

  test.each<[string, string[], string]>([
    ["an unknown command", ["show"], 'unknown command "show"'],
    [
      "get without a service",
      ["get", "1.1.1.7", "443"],
      "get needs <ip> <port> <service> or <ip:port:service>, got 2",
    ],
    ["history of a key without a service", ["history", "1.1.1.7:443"], "history needs <ip> <port> <service>"],
    ["history of a key with a bad port", ["history", "1.1.1.7:http:443"], '<port>: "http" is not a port'],
    [
      "an IP with a leading zero",
      ["get", "1.1.1.07", "443", "HTTP"],
      '<ip>: "1.1.1.07" is not an IPv4 or IPv6 address',
    ],
    ["an IPv6 zone", ["list", "--ip", "fe80::1%eth0"], '--ip: "fe80::1%eth0" is not an IPv4 or IPv6 address'],
    ["a port past 65535", ["get", "1.1.1.7", "65536", "HTTP"], '<port>: "65536" is not a port'],
    ["a negative port", ["list", "--port=-1"], '--port: "-1" is not a port'],
    [
      "a service with a space",
      ["list", "--service", "my service"],
      '--service: "my service" is not a service name',
    ],
    ["a limit of zero", ["list", "--limit", "0"], '--limit: "0" is not a number from 1 to 10000'],
    [
      "a time that is not ISO 8601",
      ["list", "--since", "yesterday"],
      '--since: "yesterday" is not an ISO 8601 date or time',
    ],
    ["an impossible date", ["list", "--since", "2026-13-40"], "--since"],
    [
      "a reason the contract does not have",
      ["rejects", "--reason", "invalid-ip"],
      '--reason: "invalid-ip" is not a reason code',
    ],
    ["a flag of another command", ["rejects", "--ip", "1.1.1.1"], "Unknown option '--ip'"],
  ])("refuses %s, naming it", (_name, argv, message) => {
    expect(() => parseScansArgs(argv)).toThrow(UsageError);
    expect(() => parseScansArgs(argv)).toThrow(message);
  });
});
