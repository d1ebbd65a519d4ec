// The figures as a table (figure, value, goal, met?) and as nested JSON (`decode.ratio` -> {decode: {ratio}}).

export type Goal = { atLeast: number } | { atMost: number } | { below: number } | { equals: number };

export interface Figure {
  /** Dotted name, as docs/performance.md names it. */
  name: string;
  /** Undefined when the measurement failed or was not made; text for a figure that names something. */
  value: number | string | undefined;
  /** Why the figure was not measured (e.g. Google's emulators are not installed): neither met nor failed. */
  notMeasured?: string;
  goal?: Goal;
  /** Digits after the point in the table. */
  digits: number;
}

function describeGoal(goal: Goal | undefined): string {
  if (goal === undefined) return "report";
  if ("atLeast" in goal) return `>= ${goal.atLeast}`;
  if ("atMost" in goal) return `<= ${goal.atMost}`;
  if ("below" in goal) return `< ${goal.below}`;
  return `= ${goal.equals}`;
}

/** True, false, or undefined when there is no goal or no value. */
export function meets(figure: Figure): boolean | undefined {
  const { goal, value } = figure;
  if (goal === undefined || typeof value !== "number") return undefined;
  if ("atLeast" in goal) return value >= goal.atLeast;
  if ("atMost" in goal) return value <= goal.atMost;
  if ("below" in goal) return value < goal.below;
  return Math.abs(value - goal.equals) < 1e-9;
}

/** A plain-text table, one row per figure; a text figure, or a figure not measured and why, runs to the line's end. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    // Blank cells for the widths: the text or the reason runs to the end of the line instead.
    if (figure.notMeasured !== undefined || typeof figure.value === "string")
      return [figure.name, "", "", ""];
    const met = meets(figure);
    return [
      figure.name,
      figure.value === undefined ? "failed" : figure.value.toFixed(figure.digits),
      describeGoal(figure.goal),
      figure.value === undefined ? "NO" : met === undefined ? "" : met ? "yes" : "NO",
    ];
  });
  const header = ["figure", "value", "goal", "met?"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  const row = (cells: string[], index: number) => {
    const { notMeasured: reason, value } = figures[index]!;
    const name = cells[0]!.padEnd(widths[0]!);
    if (reason === undefined) return typeof value === "string" ? `${name}  ${value}` : line(cells);
    // A group's figures share one reason: it is written out once, on the first of them.
    const same = index > 0 && figures[index - 1]!.notMeasured === reason;
    return `${name}  not measured: ${same ? "as above" : reason}`;
  };
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(row)].join("\n");
}

/** `{decode: {ratio: 0.6}, ...}`; a failed or unmeasured figure is null. */
export function nestFigures(figures: readonly Figure[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const figure of figures) {
    const parts = figure.name.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = figure.value ?? null;
  }
  return root;
}
