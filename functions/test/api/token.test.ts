// Page tokens as plain functions: what a token resumes, and why each altered or foreign token is refused.
import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ProblemError } from "../../src/api/problem.ts";
import { pageTokens, type Cursor } from "../../src/api/token.ts";

const tokens = pageTokens("secret of this deployment");
const listing = "services?ip=1.1.1.7";
const cursor: Cursor = {
  after: [1_700_000_000, 5],
  id: "1.1.1.7:443:HTTP",
  readTime: [1_700_000_100, 999_999_999],
};
const mustBe = "pageToken must be the nextPageToken of an earlier page of the same listing";

/** A token signed with the same secret around a payload of our own making. */
function forged(payload: unknown, secret = "secret of this deployment"): string {
  const text = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const mac = createHmac("sha256", secret).update(text).digest().subarray(0, 16).toString("base64url");
  return `${text}.${mac}`;
}

/** The detail of the 400 a verification throws. */
function refusal(token: string, of = listing): string {
  try {
    tokens.verify(of, token);
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status: 400, parameter: "pageToken" });
    return (error as Error).message;
  }
  throw new Error("the token was accepted");
}

describe("page tokens", () => {
  test("resume the listing they were issued for at its cursor", () => {
    expect(tokens.verify(listing, tokens.issue(listing, cursor))).toEqual(cursor);
  });

  test("are two base64url parts: the payload and a 16-byte signature", () => {
    const [payload, signature] = tokens.issue(listing, cursor).split(".");
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString())).toMatchObject({ v: 2, c: cursor });
    expect(Buffer.from(signature!, "base64url")).toHaveLength(16);
  });

  test.each([
    ["no dot", "abc"],
    ["three parts", "a.b.c"],
    ["a payload outside base64url", "a+b.AAAAAAAAAAAAAAAAAAAAAA"],
    ["an empty payload", ".AAAAAAAAAAAAAAAAAAAAAA"],
  ])("refuse a malformed token: %s", (_name, token) => {
    expect(refusal(token)).toBe(`${mustBe} (it is malformed)`);
  });

  test("refuse a token whose payload or signature was altered, or that another secret signed", () => {
    const [payload, signature] = tokens.issue(listing, cursor).split(".");
    const altered = `${payload!.slice(0, -1)}${payload!.endsWith("A") ? "B" : "A"}`;
    const signed = `${mustBe} (its signature does not match: altered or not issued here)`;
    expect(refusal(`${altered}.${signature}`)).toBe(signed);
    expect(refusal(`${payload}.${signature!.slice(0, -2)}`)).toBe(signed);
    expect(refusal(`${payload}.`)).toBe(signed);
    expect(refusal(forged({ v: 2, q: "x", c: cursor }, "another secret"))).toBe(signed);
  });

  test("refuse a token of the same listing's filters only", () => {
    expect(refusal(tokens.issue("services?ip=1.1.1.8", cursor))).toBe(
      `${mustBe} (it belongs to a listing with other filters)`,
    );
  });

  test.each([
    ["another version", { v: 1 }],
    ["no time to resume after (a version 1 listing by key)", { c: { id: "x", readTime: [0, 0] } }],
    ["an id that is empty", { c: { ...cursor, id: "" } }],
    ["an id longer than 1500", { c: { ...cursor, id: "x".repeat(1501) } }],
    ["nanoseconds past 999 999 999", { c: { ...cursor, readTime: [1, 1_000_000_000] } }],
    ["negative seconds", { c: { ...cursor, after: [-1, 0] } }],
    ["a field of its own", { c: { ...cursor, extra: 1 } }],
  ])("refuse a signed payload with %s", (_name, change) => {
    const valid = JSON.parse(
      Buffer.from(tokens.issue(listing, cursor).split(".")[0]!, "base64url").toString(),
    );
    expect(refusal(forged({ ...valid, ...change }))).toBe(`${mustBe} (an unknown version)`);
  });

  test("accept the longest id and the largest nanoseconds", () => {
    const edge: Cursor = { after: [0, 999_999_999], id: "x".repeat(1500), readTime: [0, 999_999_999] };
    expect(tokens.verify(listing, tokens.issue(listing, edge))).toEqual(edge);
  });
});
