// Pieces every view uses: loading a read-API path, showing its problem, times, and the page buttons.
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { get, Problem } from "./api.ts";
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
