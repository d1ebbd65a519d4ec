// The console's line diff: which lines were kept, removed and added, and the hunks a long response is cut into.
import { describe, expect, test } from "vitest";
import { hunks, lineDiff, MAX_CHANGED_LINES, type DiffLine } from "../src/diff.ts";

const same = (text: string): DiffLine => ({ kind: "same", text });
const removed = (text: string): DiffLine => ({ kind: "removed", text });
const added = (text: string): DiffLine => ({ kind: "added", text });

describe("lineDiff", () => {
  test.each([
    {
      name: "marks a changed header as removed then added, the lines around it kept",
      before: "HTTP/1.1 200 OK\r\nServer: nginx/1.24\r\nDate: x\r\n",
      after: "HTTP/1.1 200 OK\r\nServer: nginx/1.26\r\nDate: x\r\n",
      lines: [
        same("HTTP/1.1 200 OK"),
        removed("Server: nginx/1.24"),
        added("Server: nginx/1.26"),
        same("Date: x"),
      ],
    },
    {
      name: "shows lines only added at the end",
      before: "a\nb\n",
      after: "a\nb\nc\n",
      lines: [same("a"), same("b"), added("c")],
    },
    {
      name: "compares a text without a final line ending with one that has it",
      before: "a\nb",
      after: "a\nb\n",
      lines: [same("a"), removed("b"), added("b")],
    },
    { name: "keeps an empty text empty", before: "", after: "", lines: [] },
  ])("$name", ({ before, after, lines }) => {
    expect(lineDiff(before, after)).toEqual(lines);
  });

  test("gives up on texts that differ in more lines than it shows", () => {
    const many = (prefix: string) =>
      Array.from({ length: MAX_CHANGED_LINES + 10 }, (_, index) => `${prefix}${index}\n`).join("");
    expect(lineDiff(many("a"), many("b"))).toBeUndefined();
  });
});

describe("hunks", () => {
  const lines = Array.from({ length: 20 }, (_, index) => same(`line ${index}`));

  test("keeps three unchanged lines either side of a change and counts the rest", () => {
    const changed = [...lines.slice(0, 10), removed("old"), added("new"), ...lines.slice(10)];
    expect(hunks(changed)).toEqual([
      { skipped: 7 },
      { lines: [...lines.slice(7, 10), removed("old"), added("new"), ...lines.slice(10, 13)] },
      { skipped: 7 },
    ]);
  });

  test("joins two changes whose context overlaps into one hunk", () => {
    const changed = [added("first"), ...lines.slice(0, 5), added("second")];
    expect(hunks(changed)).toEqual([{ lines: changed }]);
  });

  test("counts a text with no change as one skipped run", () => {
    expect(hunks(lines)).toEqual([{ skipped: 20 }]);
    expect(hunks([])).toEqual([]);
  });
});
