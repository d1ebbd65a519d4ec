// A service's history: its distinct responses newest last seen first, a page at a time, and what changed
// between the one chosen and the one before it, as lines of text or of its hex dump.
import { useMemo, useState } from "preact/hooks";
import { query, type HistoryEntry, type Page } from "../api.ts";
import { formatSize, fromBase64, HEX_DUMP_BYTES, hexDump } from "../bytes.ts";
import { hunks, lineDiff, MAX_CHANGED_LINES } from "../diff.ts";
import type { Location } from "../router.tsx";
import { Pager, ProblemMessage, Time, useApi, ViewToggle, type ResponseView } from "../ui.tsx";

/** Entries a page: each carries its whole response, so fewer than the API's 50 keep a page light. */
export const HISTORY_PAGE_SIZE = 20;

/** `path` is the service's, as in the URL; the page token is the URL's, so Older/Newer and back work. */
export function HistorySection({ path, where }: { path: string; where: Location }) {
  const pageToken = where.search.get("pageToken") ?? undefined;
  const loaded = useApi<Page<HistoryEntry>>(
    `/v1${path}/history${query({ limit: String(HISTORY_PAGE_SIZE), pageToken })}`,
  );
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const items = loaded.data?.items ?? [];
  const next = loaded.data?.nextPageToken;
  // The newest on the page unless one was chosen: the page opens on what changed last.
  const index = Math.max(
    0,
    items.findIndex((entry) => entry.responseSha256 === chosen),
  );
  const selected = items[index];
  // The oldest on a page is compared with the newest of the next page: one more entry, read only when needed.
  const bridgePath =
    selected !== undefined && index === items.length - 1 && next !== undefined
      ? `/v1${path}/history${query({ limit: "1", pageToken: next })}`
      : undefined;
  const bridge = useApi<Page<HistoryEntry>>(bridgePath);
  const before =
    index < items.length - 1
      ? items[index + 1]
      : bridgePath !== undefined && bridge.state === "ready"
        ? bridge.data.items[0]
        : undefined;
  const waiting = bridgePath !== undefined && bridge.state === "loading";

  return (
    <section aria-labelledby="history-heading" aria-busy={loaded.state === "loading"} class="history">
      <h2 id="history-heading">History</h2>
      <p class="muted">
        Each distinct response observed, newest last seen first. Choose one to see what changed from the one
        before it.
      </p>
      {loaded.state === "failed" && <ProblemMessage problem={loaded.problem} what="the history" />}
      {loaded.state === "loading" && items.length === 0 && <p class="muted">Loading…</p>}
      {items.length > 0 && loaded.state !== "failed" && (
        <>
          <Timeline items={items} selected={selected} onChoose={setChosen} />
          <Pager where={where} next={next} busy={loaded.state === "loading"} />
          {selected !== undefined &&
            (waiting ? (
              <p class="muted">Loading the response before it…</p>
            ) : (
              <Changes
                key={`${before?.responseSha256}-${selected.responseSha256}`}
                before={before}
                after={selected}
              />
            ))}
        </>
      )}
    </section>
  );
}

function Timeline(props: {
  items: HistoryEntry[];
  selected: HistoryEntry | undefined;
  onChoose: (sha: string) => void;
}) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Responses over time, scrollable">
      <table class="timeline">
        <thead>
          <tr>
            <th scope="col">Response</th>
            <th scope="col">Seen</th>
            <th scope="col" class="number">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((entry) => (
            <tr
              key={entry.responseSha256}
              data-sha={entry.responseSha256}
              class={entry === props.selected ? "selected" : undefined}
            >
              <th scope="row">
                <button
                  type="button"
                  class="sha"
                  aria-pressed={entry === props.selected}
                  title={entry.responseSha256}
                  onClick={() => props.onChoose(entry.responseSha256)}
                >
                  {shortSha(entry)}
                </button>
                {entry.current && <span class="badge current">current</span>}
                {entry.responseBytes !== undefined && <span class="badge">binary</span>}
              </th>
              <td>
                <Seen entry={entry} />
              </td>
              <td class="number">
                {formatSize(entry.responseSize)}
                {entry.responseTruncated && <span class="badge">truncated</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Seen({ entry }: { entry: HistoryEntry }) {
  if (entry.firstSeen === entry.lastSeen) return <Time value={entry.lastSeen} />;
  return (
    <>
      <Time value={entry.firstSeen} /> – <Time value={entry.lastSeen} />
    </>
  );
}

/** What changed from `before` to `after`; with nothing before, `after` whole. */
function Changes({ before, after }: { before: HistoryEntry | undefined; after: HistoryEntry }) {
  const binary = after.responseBytes !== undefined || before?.responseBytes !== undefined;
  const [view, setView] = useState<ResponseView>(binary ? "hex" : "text");
  const shown = (entry: HistoryEntry) => (view === "hex" ? hexDump(bytesOf(entry)) : entry.response);
  const lines = useMemo(
    () => (before === undefined ? undefined : lineDiff(shown(before), shown(after))),
    [before, after, view],
  );
  return (
    <section aria-labelledby="changes-heading">
      <div class="response-head">
        <h3 id="changes-heading">
          {before === undefined ? (
            <>The oldest response kept, {shortSha(after)}</>
          ) : (
            <>
              Changes from {shortSha(before)} to {shortSha(after)}
            </>
          )}
        </h3>
        <ViewToggle label="Show the changes as" view={view} onChange={setView} />
      </div>
      {(after.responseTruncated || before?.responseTruncated) && (
        <p class="muted">A response was truncated: only its first bytes are kept and compared.</p>
      )}
      {before === undefined ? (
        <pre class={view} tabIndex={0} aria-label={`The oldest response kept, as ${view}`}>
          {shown(after)}
        </pre>
      ) : lines === undefined ? (
        <p class="muted">
          These responses differ in more than {MAX_CHANGED_LINES} lines: too many to show as a diff.
        </p>
      ) : (
        <pre class={`diff ${view}`} tabIndex={0} aria-label={`Changes as ${view}`}>
          {lines.every((line) => line.kind === "same") && (
            <span class="skipped">
              {view === "hex"
                ? `The first ${formatSize(HEX_DUMP_BYTES)} are the same.`
                : "The same text: they differ only in bytes the text cannot show; see Hex."}
              {"\n"}
            </span>
          )}
          {hunks(lines).map((hunk, index) =>
            "skipped" in hunk ? (
              <span key={index} class="skipped">
                ⋯ {hunk.skipped} unchanged line{hunk.skipped === 1 ? "" : "s"}
                {"\n"}
              </span>
            ) : (
              hunk.lines.map((line, at) => {
                const Tag = line.kind === "removed" ? "del" : line.kind === "added" ? "ins" : "span";
                const mark = line.kind === "removed" ? "-" : line.kind === "added" ? "+" : " ";
                return (
                  <Tag key={`${index}-${at}`} class={line.kind}>
                    {mark} {line.text}
                    {"\n"}
                  </Tag>
                );
              })
            ),
          )}
        </pre>
      )}
    </section>
  );
}

function bytesOf(entry: HistoryEntry): Uint8Array {
  return entry.responseBytes !== undefined
    ? fromBase64(entry.responseBytes)
    : new TextEncoder().encode(entry.response);
}

function shortSha(entry: HistoryEntry): string {
  return entry.responseSha256.slice(0, 12);
}
