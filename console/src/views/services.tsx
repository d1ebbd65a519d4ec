// Services: the stored scans, newest first, filtered by ip / port / service / since, a page at a time.
import { useState } from "preact/hooks";
import { query, servicePath, type Page, type Service } from "../api.ts";
import { formatSize, preview } from "../bytes.ts";
import { Link, navigate, type Location } from "../router.tsx";
import { Results, Time, useApi, useRenderedMark } from "../ui.tsx";

const FILTERS = ["ip", "port", "service", "since"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export function ServicesView({ where }: { where: Location }) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, where.search.get(name) ?? ""])) as Filters;
  const limit = where.search.get("limit") ?? "";
  // The page's query is the API's: whatever the URL holds, the read API checks, and its answer is shown.
  const search = where.search.toString();
  const loaded = useApi<Page<Service>>(`/v1/services${search === "" ? "" : `?${search}`}`);
  useRenderedMark("services", loaded);

  return (
    <>
      <h1>Services</h1>
      <p class="lede">The newest observation of each ip:port:service, newest scan first.</p>
      <FilterForm key={where.search.toString()} filters={filters} limit={limit} />
      <Results
        where={where}
        loaded={loaded}
        noun="service"
        table={(items) => <ServiceTable items={items} />}
      />
    </>
  );
}

function FilterForm({ filters, limit }: { filters: Filters; limit: string }) {
  const [draft, setDraft] = useState(filters);
  const [size, setSize] = useState(limit);
  const field = (name: keyof Filters, label: string, hint: string, extra: Record<string, string> = {}) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <input
        id={`filter-${name}`}
        name={name}
        value={draft[name]}
        aria-describedby={`filter-${name}-hint`}
        autocomplete="off"
        spellcheck={false}
        onInput={(event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value })}
        {...extra}
      />
      <small id={`filter-${name}-hint`}>{hint}</small>
    </div>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter services"
      onSubmit={(event) => {
        event.preventDefault();
        const trimmed = Object.fromEntries(
          Object.entries(draft).map(([name, value]) => [name, value.trim()]),
        );
        navigate(`/services${query({ ...trimmed, limit: size })}`);
      }}
    >
      {field("ip", "IP address", "IPv4 or IPv6, any spelling", { inputmode: "text" })}
      {field("port", "Port", "0 to 65535", { inputmode: "numeric" })}
      {field("service", "Service", "any case, e.g. http")}
      {field("since", "Scanned since", "RFC 3339, e.g. 2026-01-01T00:00:00Z")}
      <div class="field">
        <label for="filter-limit">Per page</label>
        <select
          id="filter-limit"
          value={size}
          onChange={(event) => setSize((event.target as HTMLSelectElement).value)}
        >
          <option value="">50</option>
          <option value="10">10</option>
          <option value="100">100</option>
          <option value="500">500</option>
        </select>
      </div>
      <div class="actions">
        <button type="submit">Filter</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setDraft({ ip: "", port: "", service: "", since: "" });
            navigate("/services");
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function ServiceTable({ items }: { items: Service[] }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Services, scrollable">
      <table>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Scanned</th>
            <th scope="col" class="number">
              Size
            </th>
            <th scope="col">Response</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.key} data-key={item.key}>
              <th scope="row">
                <Link href={servicePath(item)}>{item.key}</Link>
              </th>
              <td>
                <Time value={item.scannedAt} />
              </td>
              <td class="number">
                {formatSize(item.responseSize)}
                {item.responseTruncated && <span class="badge">truncated</span>}
              </td>
              <td class="preview">
                {item.responseBytes !== undefined && <span class="badge">binary</span>}
                <code>{preview(item.response)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
