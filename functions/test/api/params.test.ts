// The API's request parsing as plain functions: the query's parameters, the schemas' 400 problems.
import { describe, expect, test } from "vitest";
import * as z from "zod";
import { parseParameters, queryParameters } from "../../src/api/params.ts";
import { badParameter, ProblemError, toProblem } from "../../src/api/problem.ts";
import { rejectsQuery, servicesQuery } from "../../src/api/schemas.ts";

/** The problem a call throws, as the API would answer it. */
function problemOf(call: () => unknown) {
  try {
    call();
  } catch (error) {
    if (error instanceof ProblemError) return toProblem(error);
    throw error;
  }
  throw new Error("no problem was thrown");
}

describe("queryParameters", () => {
  test("reads each parameter once, decoded", () => {
    expect(queryParameters("?ip=1.1.1.7&service=h%20x")).toEqual({ ip: "1.1.1.7", service: "h x" });
  });

  test("reads an empty query as no parameters", () => {
    expect(queryParameters("")).toEqual({});
  });

  test("refuses a parameter given twice, naming it", () => {
    expect(problemOf(() => queryParameters("limit=1&ip=x&limit=2"))).toEqual({
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: "limit must be given at most once",
      parameter: "limit",
    });
  });

  test("keeps a parameter named __proto__ as an own property", () => {
    const parameters = queryParameters("__proto__=x");
    expect(Object.keys(parameters)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(parameters)).toBe(Object.prototype);
  });
});

describe("parseParameters", () => {
  test("gives the canonical values", () => {
    expect(parseParameters(servicesQuery, { ip: "2001:DB8::1", port: "443", service: "http" })).toEqual({
      ip: "2001:db8::1",
      port: 443,
      service: "HTTP",
    });
  });

  test.each([
    ["ip", { ip: "1.1.1.07" }, 'ip must be an IPv4 or IPv6 address, got "1.1.1.07"'],
    ["port", { port: "65536" }, 'port must be an integer from 0 to 65535, got "65536"'],
    ["limit", { limit: "0" }, 'limit must be an integer from 1 to 1000, got "0"'],
  ])("names the broken %s, what it must be and what it was", (parameter, input, detail) => {
    expect(problemOf(() => parseParameters(servicesQuery, input))).toEqual({
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail,
      parameter,
    });
  });

  test("says a parameter that no table describes must be valid", () => {
    expect(problemOf(() => parseParameters(z.object({ other: z.string() }), {}))).toMatchObject({
      detail: "other must be valid",
      parameter: "other",
    });
  });

  test("names an unknown parameter and lists the ones the path knows", () => {
    expect(problemOf(() => parseParameters(rejectsQuery, { ip: "1.1.1.7" }))).toMatchObject({
      status: 400,
      detail: "ip is not a parameter here; known: reason, limit, since, pageToken",
      parameter: "ip",
    });
  });

  test("says a path takes no query parameters when its schema has none", () => {
    expect(problemOf(() => parseParameters(z.strictObject({}), { x: "1" }))).toMatchObject({
      detail: "x is not a parameter here; this path takes none",
      parameter: "x",
    });
  });
});

describe("badParameter", () => {
  test("quotes what was given, cut to 80 characters", () => {
    const given = "a".repeat(81);
    expect(badParameter("ip", "an address", given).message).toBe(
      `ip must be an address, got "${"a".repeat(80)}…"`,
    );
    expect(badParameter("ip", "an address", "a".repeat(80)).message).toBe(
      `ip must be an address, got "${"a".repeat(80)}"`,
    );
  });

  test("says nothing of a value that was not given", () => {
    expect(toProblem(badParameter("ip", "an address"))).toEqual({
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: "ip must be an address",
      parameter: "ip",
    });
  });
});

describe("toProblem", () => {
  test.each([
    [404, "Not Found"],
    [405, "Method Not Allowed"],
    [500, "Internal Server Error"],
    [503, "Service Unavailable"],
    [418, "Error"],
  ])("titles a %i with its status phrase (%s)", (status, title) => {
    expect(toProblem(new ProblemError(status, "why"))).toEqual({
      type: "about:blank",
      title,
      status,
      detail: "why",
    });
  });
});
