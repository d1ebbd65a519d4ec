// Rejects: the messages that can never be stored, newest first, by reason, each with its detail and raw data.
import { useState } from "preact/hooks";
import { query, type Page, type Reject, type Stats } from "../api.ts";
import { formatSize, fromBase64, hexDump, preview } from "../bytes.ts";
import { navigate, type Location } from "../router.tsx";
import { Results, Time, useApi, useRenderedMark } from "../ui.tsx";

export function RejectsView({ where }: { where: Location }) {
  const reason = where.search.get("reason") ?? "";
  const since = where.search.get("since") ?? "";
  // The page's query is the API's: whatever the URL holds, the read API checks, and its answer is shown.
  const search = where.search.toString();
  const loaded = useApi<Page<Reject>>(`/v1/rejects${search === "" ? "" : `?${search}`}`);
  const stats = useApi<Stats>("/v1/stats");
  useRenderedMark("rejects", loaded);

  return (
    <>
      <h1>Rejects</h1>
      <p class="lede">Messages that can never be stored, with why, newest first. They were acknowledged.</p>
      <ReasonForm
        key={where.search.toString()}
        reason={reason}
        since={since}
        counts={stats.state === "ready" ? stats.data.rejectsByReason : undefined}
      />
      <Results where={where} loaded={loaded} noun="reject" table={(items) => <RejectTable items={items} />} />
    </>
  );
}

function ReasonForm(props: { reason: string; since: string; counts: Record<string, number> | undefined }) {
  const [reason, setReason] = useState(props.reason);
  const [since, setSince] = useState(props.since);
  const reasons = Object.keys(props.counts ?? {});
  if (props.reason !== "" && !reasons.includes(props.reason)) reasons.push(props.reason);
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter rejects"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(`/rejects${query({ reason, since: since.trim() })}`);
      }}
    >
      <div class="field">
        <label for="filter-reason">Reason</label>
        <select
          id="filter-reason"
          value={reason}
          onChange={(event) => setReason((event.target as HTMLSelectElement).value)}
        >
          <option value="">any reason</option>
          {reasons.map((name) => (
            <option key={name} value={name}>
              {name}
              {props.counts?.[name] !== undefined && ` (${props.counts[name]})`}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-since">Rejected since</label>
        <input
          id="filter-since"
          value={since}
          aria-describedby="filter-since-hint"
          autocomplete="off"
          onInput={(event) => setSince((event.target as HTMLInputElement).value)}
        />
        <small id="filter-since-hint">RFC 3339, e.g. 2026-01-01T00:00:00Z</small>
      </div>
      <div class="actions">
        <button type="submit">Filter</button>
      </div>
    </form>
  );
}

function RejectTable({ items }: { items: Reject[] }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Rejects, scrollable">
      <table>
        <thead>
          <tr>
            <th scope="col">Rejected</th>
            <th scope="col">Reason</th>
            <th scope="col">Detail</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-id={item.id}>
              <td>
                <Time value={item.rejectedAt ?? item.publishTime} />
              </td>
              <td>
                <code>{item.reason}</code>
              </td>
              <td class="detail">{item.detail}</td>
              <td>
                <RejectData reject={item} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RejectData({ reject }: { reject: Reject }) {
  const binary = reject.dataBytes !== undefined;
  const text = reject.data ?? "";
  return (
    <details>
      <summary>
        {binary ? <span class="badge">binary</span> : <code>{preview(text, 40) || "(empty)"}</code>}{" "}
        <span class="muted">{formatSize(reject.dataSize)}</span>
      </summary>
      <dl class="facts small">
        <div>
          <dt>Message id</dt>
          <dd>
            <code>{reject.messageId}</code>
          </dd>
        </div>
        <div>
          <dt>SHA-256</dt>
          <dd>
            <code class="hash">{reject.dataSha256}</code>
          </dd>
        </div>
        {reject.dataTruncated && (
          <div>
            <dt>Truncated</dt>
            <dd>yes: only the first bytes are kept</dd>
          </div>
        )}
      </dl>
      <pre class={binary ? "hex" : "text"} tabIndex={0} aria-label={binary ? "Data as hex" : "Data as text"}>
        {binary ? hexDump(fromBase64(reject.dataBytes!)) : text}
      </pre>
    </details>
  );
}
