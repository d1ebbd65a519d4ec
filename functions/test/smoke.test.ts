import { expect, test } from "vitest";

test("the tests run on the Node the project targets", () => {
  expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
});
