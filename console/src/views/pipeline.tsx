// Pipeline: live totals and rates, publish → stored latency, the topics and subscriptions with their backlog,
// each function instance's share, the dead letters, and a chart of rates over the last minutes, pushed by the console server every second.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { PipelineSnapshot, RatePoint, Counts } from "../../snapshot.ts";
import { formatSize, fromBase64, hexDump, preview } from "../bytes.ts";
import { RateChart } from "../chart.tsx";
import { Time } from "../ui.tsx";

const LABELS: Array<[keyof Counts, string]> = [
  ["published", "Published"],
  ["stored", "Stored"],
  ["stale", "Stale"],
  ["duplicate", "Duplicate"],
  ["rejected", "Rejected"],
  ["failed", "Failed (redelivered)"],
  ["deadLettered", "Dead-lettered"],
];
const MAX_POINTS = 600;

type Connection = "connecting" | "live" | "lost" | { problem: string };

export function PipelineView() {
  const [snapshot, setSnapshot] = useState<PipelineSnapshot>();
  const [connection, setConnection] = useState<Connection>("connecting");

  useEffect(() => {
    const source = new EventSource("/events");
    source.addEventListener("snapshot", (event) => {
      setSnapshot(JSON.parse((event as MessageEvent<string>).data) as PipelineSnapshot);
      setConnection("live");
    });
    source.addEventListener("sample", (event) => {
      const sample = JSON.parse((event as MessageEvent<string>).data) as Omit<PipelineSnapshot, "history"> & {
        point: RatePoint | null;
      };
      const { point, ...rest } = sample;
      setSnapshot((before) => {
        const history = [...(before?.history ?? []), ...(point ? [point] : [])];
        return { ...rest, history: history.length > MAX_POINTS ? history.slice(-MAX_POINTS) : history };
      });
      setConnection("live");
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        setConnection("lost");
        return;
      }
      // Closed for good: the server answered something other than a stream; ask it why.
      fetch("/pipeline.json")
        .then((response) => response.json() as Promise<{ detail?: string }>)
        .then((body) => setConnection({ problem: body.detail ?? "the console server has no pipeline feed" }))
        .catch(() =>
          setConnection({ problem: "the console server does not answer; is npm start still running?" }),
        );
    };
    return () => source.close();
  }, []);

  const marked = useRef(false);
  useLayoutEffect(() => {
    if (snapshot && !marked.current) {
      marked.current = true;
      performance.mark("console:rendered", { detail: "pipeline" });
    }
  }, [snapshot]);

  return (
    <>
      <h1>Pipeline</h1>
      <p class="lede" role="status">
        {connection === "connecting" && "Connecting…"}
        {connection === "live" &&
          snapshot &&
          `Live, updated every second. Running ${duration(snapshot.at - snapshot.startedAt)} on the ${snapshot.emulators} emulators.`}
        {connection === "lost" && "Connection lost: reconnecting…"}
      </p>
      {typeof connection === "object" && (
        <div role="alert" class="problem">
          <p>
            <strong>No live pipeline:</strong> {connection.problem}
          </p>
          <p>The Services and Rejects views still read the read API.</p>
        </div>
      )}
      {snapshot && <Live snapshot={snapshot} />}
    </>
  );
}

function Live({ snapshot }: { snapshot: PipelineSnapshot }) {
  const { totals, rates, latency } = snapshot;
  return (
    <>
      <section aria-labelledby="totals-heading">
        <h2 id="totals-heading">Totals</h2>
        <dl class="totals">
          {LABELS.map(([name, label]) => (
            <div key={name} class={`total total-${name}`}>
              <dt>{label}</dt>
              <dd>
                <span class="value" data-total={name}>
                  {totals[name].toLocaleString("en")}
                </span>
                <span class="rate">{rates[name].toLocaleString("en")}/s</span>
              </dd>
            </div>
          ))}
          <div class="total total-latency">
            <dt>Publish → stored</dt>
            <dd>
              {latency ? (
                <span class="value" data-latency>
                  p50 {ms(latency.p50)} · p99 {ms(latency.p99)}
                </span>
              ) : (
                <span class="value muted">nothing stored lately</span>
              )}
              <span class="rate">
                {latency ? `${latency.count} stored in the last ${latency.windowSeconds} s` : ""}
              </span>
            </dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="chart-heading">
        <h2 id="chart-heading">Rates</h2>
        <RateChart history={snapshot.history} />
      </section>
      <section aria-labelledby="topology-heading">
        <h2 id="topology-heading">Topics and subscriptions</h2>
        <div
          class="table-scroll"
          tabIndex={0}
          role="region"
          aria-label="Topics and subscriptions, scrollable"
        >
          <table>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Subscription</th>
                <th scope="col">Delivers to</th>
                <th scope="col" class="number">
                  Acknowledged
                </th>
                <th scope="col" class="number">
                  Backlog
                </th>
                <th scope="col" class="number">
                  Dead-lettered
                </th>
              </tr>
            </thead>
            <tbody>
              {snapshot.topics.flatMap((topic) =>
                topic.subscriptions.map((subscription) => (
                  <tr key={subscription.name} data-subscription={subscription.name}>
                    <td>
                      <code>{topic.name}</code>
                    </td>
                    <th scope="row">
                      <code>{subscription.name}</code>
                    </th>
                    <td>
                      {subscription.endpoint ? <code>{subscription.endpoint}</code> : "pull (kept here)"}
                    </td>
                    <td class="number">{subscription.acknowledged.toLocaleString("en")}</td>
                    <td class="number" data-backlog>
                      {subscription.backlog.toLocaleString("en")}
                    </td>
                    <td class="number">{subscription.deadLettered.toLocaleString("en")}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      </section>
      <Instances snapshot={snapshot} />
      <section aria-labelledby="dead-heading">
        <h2 id="dead-heading">Dead letters</h2>
        {snapshot.deadLetters.length === 0 ? (
          <p class="muted">None: every message was delivered within 5 attempts.</p>
        ) : (
          <ul class="dead-letters">
            {snapshot.deadLetters.map((letter) => (
              <li key={letter.messageId} data-dead-letter={letter.messageId}>
                <details>
                  <summary>
                    <code>{letter.messageId}</code> from <code>{letter.subscription}</code> after{" "}
                    {letter.deliveryAttempts} attempts, published <Time value={letter.publishTime} />,{" "}
                    {formatSize(letter.size)}
                  </summary>
                  <pre
                    class={letter.data === undefined ? "hex" : "text"}
                    tabIndex={0}
                    aria-label="Message data"
                  >
                    {letter.data === undefined ? hexDump(fromBase64(letter.dataBase64 ?? "")) : letter.data}
                  </pre>
                </details>
                {letter.data !== undefined && <code class="muted">{preview(letter.data, 100)}</code>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/** Each function instance and its share of what was acknowledged. */
function Instances({ snapshot }: { snapshot: PipelineSnapshot }) {
  const all = snapshot.instances.reduce((sum, instance) => sum + instance.acknowledged, 0);
  return (
    <section aria-labelledby="instances-heading">
      <h2 id="instances-heading">Function instances</h2>
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Function instances, scrollable">
        <table>
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Listens on</th>
              <th scope="col">Fed by</th>
              <th scope="col" class="number">
                Acknowledged
              </th>
              <th scope="col" class="number">
                Share
              </th>
              <th scope="col" class="number">
                Failed
              </th>
            </tr>
          </thead>
          <tbody>
            {snapshot.instances.map((instance) => (
              <tr key={instance.index} data-instance={instance.index}>
                <th scope="row">{instance.index}</th>
                <td>
                  <code>{instance.url}</code>
                </td>
                <td>
                  <code>{instance.subscription}</code>
                </td>
                <td class="number" data-acknowledged>
                  {instance.acknowledged.toLocaleString("en")}
                </td>
                <td class="number">
                  {all === 0 ? "–" : `${Math.round((instance.acknowledged / all) * 100)} %`}
                </td>
                <td class="number">{instance.failed.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function duration(milliseconds: number): string {
  const seconds = Math.max(Math.floor(milliseconds / 1000), 0);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${seconds % 60} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
