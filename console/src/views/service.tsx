// One service: every stored field, the response as text or as a hex dump of its bytes, and its history.
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { Service } from "../api.ts";
import { formatSize, fromBase64, hexDump } from "../bytes.ts";
import { Link, type Location } from "../router.tsx";
import { ProblemMessage, Time, useApi, useRenderedMark, ViewToggle, type ResponseView } from "../ui.tsx";
import { HistorySection } from "./history.tsx";

export function ServiceView({ where }: { where: Location }) {
  const { path } = where;
  // The path as the browser holds it, still percent-encoded: the read API decodes and validates each part.
  const loaded = useApi<Service>(`/v1${path}`);
  useRenderedMark("service", loaded);
  const parts = path.split("/").slice(2).map(safeDecode);
  const title = parts.length === 3 ? parts.join(":") : path;

  return (
    <>
      <p class="crumbs">
        <Link href="/services">← Services</Link>
      </p>
      <h1>{loaded.state === "ready" ? loaded.data.key : title}</h1>
      {loaded.state === "loading" && <p class="muted">Loading…</p>}
      {loaded.state === "failed" &&
        (loaded.problem.status === 404 ? (
          <div role="alert" class="problem">
            <p>
              <strong>Nothing is stored for {title}.</strong>
            </p>
            <p>{loaded.problem.message}</p>
          </div>
        ) : (
          <ProblemMessage problem={loaded.problem} what={`the service ${title}`} />
        ))}
      {loaded.state === "ready" && (
        <>
          <ServiceDetails service={loaded.data} />
          <HistorySection path={path} where={where} />
        </>
      )}
    </>
  );
}

function ServiceDetails({ service }: { service: Service }) {
  const binary = service.responseBytes !== undefined;
  const bytes = useMemo(
    () => (binary ? fromBase64(service.responseBytes!) : new TextEncoder().encode(service.response)),
    [service],
  );
  const [view, setView] = useState<ResponseView>(binary ? "hex" : "text");
  return (
    <>
      <dl class="facts">
        <Fact name="IP">{service.ip}</Fact>
        <Fact name="Port">{service.port}</Fact>
        <Fact name="Service">{service.service}</Fact>
        <Fact name="Scanned">
          <Time value={service.scannedAt} />
        </Fact>
        <Fact name="Published">
          <Time value={service.publishTime} />
        </Fact>
        <Fact name="Stored">
          <Time value={service.updatedAt} />
        </Fact>
        <Fact name="Message id">
          <code>{service.messageId}</code>
        </Fact>
        <Fact name="Data version">{service.dataVersion}</Fact>
        <Fact name="Response size">
          {formatSize(service.responseSize)} ({service.responseSize} bytes)
        </Fact>
        <Fact name="Truncated">
          {service.responseTruncated ? "yes: only the first bytes are kept" : "no"}
        </Fact>
        <Fact name="SHA-256">
          <code class="hash">{service.responseSha256}</code>
        </Fact>
        <Fact name="Encoding">{binary ? "not UTF-8: the exact bytes are kept" : "UTF-8 text"}</Fact>
      </dl>
      <section aria-labelledby="response-heading">
        <div class="response-head">
          <h2 id="response-heading">Response</h2>
          <ViewToggle label="Show the response as" view={view} onChange={setView} />
        </div>
        {binary && view === "text" && (
          <p class="muted">
            Not valid UTF-8: each invalid byte shows as �. The hex view has the exact bytes.
          </p>
        )}
        <pre class={view === "hex" ? "hex" : "text"} tabIndex={0} aria-label={`Response as ${view}`}>
          {view === "hex" ? hexDump(bytes) : service.response}
        </pre>
      </section>
    </>
  );
}

function Fact({ name, children }: { name: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
