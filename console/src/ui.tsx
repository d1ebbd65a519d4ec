// Pieces every view uses: loading a read-API path, showing its problem, times, and the page buttons.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { get, Problem, type Page } from "./api.ts";
import { navigate, type Location } from "./router.tsx";

export type Loaded<T> =
  | { state: "loading"; data?: T }
  | { state: "ready"; data: T }
  | { state: "failed"; problem: Problem; data?: T };

/** GETs `path` whenever it changes; the previous data stays shown while the next loads. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    setLoaded((before) => ({ state: "loading", ...(before.data !== undefined && { data: before.data }) }));
    get<T>(path, controller.signal).then(
      (data) => setLoaded({ state: "ready", data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const problem =
          error instanceof Problem ? error : new Problem(0, "Unexpected error", (error as Error).message);
        setLoaded({ state: "failed", problem });
      },
    );
    return () => controller.abort();
  }, [path]);
  return loaded;
}

/** Marks the moment a view's data is in the DOM (User Timing), for `npm run bench` and the browser's tools. */
export function useRenderedMark(view: string, loaded: Loaded<unknown>): void {
  useLayoutEffect(() => {
    if (loaded.state === "ready") performance.mark("console:rendered", { detail: view });
  }, [loaded]);
}

export function ProblemMessage({ problem, what }: { problem: Problem; what: string }) {
  return (
    <div role="alert" class="problem">
      <p>
        <strong>
          Could not load {what}: {problem.title}
          {problem.status > 0 && ` (${problem.status})`}
        </strong>
      </p>
      <p>{problem.message}</p>
      {problem.parameter && (
        <p>
          Fix the <code>{problem.parameter}</code> field and try again.
        </p>
      )}
    </div>
  );
}

// One formatter for every time on the page: creating one per call costs more than the rest of a row.
const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** An RFC 3339 time as the reader's local time, UTC in its tooltip and datetime attribute. */
export function Time({ value }: { value: string | undefined }) {
  if (value === undefined) return <span class="muted">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value} title={value}>
      {localTime.format(date)}
    </time>
  );
}

/**
 * "Newer" and "Older" for a listing whose URL carries its pageToken: Older pushes the next token and keeps the
 * trail in the history state, Newer walks the trail back (the first page has no token).
 */
export function Pager({ where, next, busy }: { where: Location; next: string | undefined; busy: boolean }) {
  const token = where.search.get("pageToken") ?? "";
  const pageNumber = where.tokens.length + 1;
  const go = (pageToken: string, tokens: string[]) => {
    const search = new URLSearchParams(where.search);
    if (pageToken === "") search.delete("pageToken");
    else search.set("pageToken", pageToken);
    const text = search.toString();
    navigate(`${where.path}${text === "" ? "" : `?${text}`}`, tokens);
  };
  const onFirstPage = token === "";
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={busy || onFirstPage}
        onClick={() => {
          const tokens = [...where.tokens];
          // A bookmarked page has no trail: Newer then goes back to the first page.
          go(tokens.pop() ?? "", tokens);
        }}
      >
        ← Newer
      </button>
      <span aria-live="polite">Page {onFirstPage ? 1 : Math.max(pageNumber, 2)}</span>
      <button
        type="button"
        disabled={busy || next === undefined}
        onClick={() => go(next!, [...where.tokens, token])}
      >
        Older →
      </button>
    </nav>
  );
}

/**
 * A listing's results: the problem when the API refused, else the count, the rows `table` renders, and the
 * pager; the previous page stays (dimmed, aria-busy) while the next loads.
 */
export function Results<T>(props: {
  where: Location;
  loaded: Loaded<Page<T>>;
  /** Singular, e.g. "service". */
  noun: string;
  table: (items: T[]) => ComponentChildren;
}) {
  const { where, loaded, noun } = props;
  const busy = loaded.state === "loading";
  const items = loaded.data?.items;
  const more = loaded.data?.nextPageToken !== undefined;
  return (
    <>
      {loaded.state === "failed" && <ProblemMessage problem={loaded.problem} what={`the ${noun}s`} />}
      <section aria-labelledby="results" aria-busy={busy} class="results">
        <h2 id="results" class="visually-hidden">
          Results
        </h2>
        {items !== undefined && loaded.state !== "failed" && (
          <>
            <p class="count" aria-live="polite">
              {items.length === 0
                ? `No ${noun} matches.`
                : `${items.length} ${noun}${items.length === 1 ? "" : "s"}${more ? ", more on older pages" : ""}`}
            </p>
            {items.length > 0 && props.table(items)}
            <Pager where={where} next={loaded.data?.nextPageToken} busy={busy} />
          </>
        )}
        {busy && items === undefined && <p class="muted">Loading…</p>}
      </section>
    </>
  );
}

/** How a response is shown: as text, or as a hex dump of its bytes. */
export type ResponseView = "text" | "hex";

/** The Text / Hex switch of a response, `label` naming what it switches for assistive technology. */
export function ViewToggle(props: { label: string; view: ResponseView; onChange(view: ResponseView): void }) {
  return (
    <div role="group" aria-label={props.label} class="toggle">
      <button type="button" aria-pressed={props.view === "text"} onClick={() => props.onChange("text")}>
        Text
      </button>
      <button type="button" aria-pressed={props.view === "hex"} onClick={() => props.onChange("hex")}>
        Hex
      </button>
    </div>
  );
}
