// A line diff for people: jsdiff's Myers diff of two texts, cut into hunks with a few unchanged lines around
// each change, so a long response with one changed header reads as that header.
import { diffLines } from "diff";

export type DiffLine = { kind: "same" | "removed" | "added"; text: string };

/** A run of lines to show, or how many unchanged lines were left out between two runs. */
export type Hunk = { lines: DiffLine[] } | { skipped: number };

/** Past this many changed lines a diff costs more than it tells; the page says so instead. */
export const MAX_CHANGED_LINES = 1000;

/** The lines of `before` → `after`, each kept, removed or added; undefined when they differ in too many lines. */
export function lineDiff(before: string, after: string): DiffLine[] | undefined {
  const changes = diffLines(before, after, { maxEditLength: MAX_CHANGED_LINES });
  if (changes === undefined) return undefined;
  return changes.flatMap((change) => {
    const kind = change.added ? "added" : change.removed ? "removed" : "same";
    return splitLines(change.value).map((text) => ({ kind, text }));
  });
}

/** The changed lines with `context` unchanged lines either side; longer unchanged runs become a count. */
export function hunks(lines: DiffLine[], context = 3): Hunk[] {
  const shown = lines.map(() => false);
  lines.forEach((line, index) => {
    if (line.kind === "same") return;
    for (let near = Math.max(0, index - context); near <= Math.min(lines.length - 1, index + context); near++)
      shown[near] = true;
  });
  const result: Hunk[] = [];
  let index = 0;
  while (index < lines.length) {
    const start = index;
    const keep = shown[index];
    while (index < lines.length && shown[index] === keep) index++;
    result.push(keep ? { lines: lines.slice(start, index) } : { skipped: index - start });
  }
  return result;
}

/** A change's text as lines without their endings (CRLF, LF or CR); a final line ending adds no empty line. */
function splitLines(value: string): string[] {
  const lines = value.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
