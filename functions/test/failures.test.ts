import { describe, expect, test } from "vitest";
import { classifyFailure } from "../src/failures.ts";

const withCode = (code: number) => Object.assign(new Error(`${code} x`), { code });

describe("classifyFailure", () => {
  // The transient codes as docs/contract.md §7 lists them, not as the module's own table does.
  test.each([
    [1, "CANCELLED"],
    [4, "DEADLINE_EXCEEDED"],
    [8, "RESOURCE_EXHAUSTED"],
    [10, "ABORTED"],
    [13, "INTERNAL"],
    [14, "UNAVAILABLE"],
  ])("code %i (%s) may pass on redelivery: transient", (code, name) => {
    expect(classifyFailure(withCode(code))).toEqual({ permanent: false, code: name });
  });

  test.each([
    [3, "INVALID_ARGUMENT"],
    [5, "NOT_FOUND"],
    [7, "PERMISSION_DENIED"],
    [9, "FAILED_PRECONDITION"],
    [11, "OUT_OF_RANGE"],
    [12, "UNIMPLEMENTED"],
    [16, "UNAUTHENTICATED"],
  ])("code %i (%s) fails the same way every time: permanent, with what to fix", (code, name) => {
    const failure = classifyFailure(withCode(code));
    expect(failure).toMatchObject({ permanent: true, code: name });
    expect((failure as { fix: string }).fix.length).toBeGreaterThan(20);
  });

  test("an unknown code is permanent and says so; an error without a code is left to redelivery", () => {
    expect(classifyFailure(withCode(99))).toEqual({
      permanent: true,
      code: "code 99",
      fix: "the error is not one a redelivery can cure: see its message",
    });
    expect(classifyFailure(null)).toEqual({ permanent: false, code: undefined });
    expect(classifyFailure(undefined)).toEqual({ permanent: false, code: undefined });
    expect(classifyFailure(new Error("socket hang up"))).toEqual({ permanent: false, code: undefined });
    expect(classifyFailure("not an error")).toEqual({ permanent: false, code: undefined });
  });
});
