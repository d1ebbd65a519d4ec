// The console's page: a header with the three views, and the view the URL names.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useErrorBoundary, useRef } from "preact/hooks";
import { Link, useLocation } from "./router.tsx";
import { PipelineView } from "./views/pipeline.tsx";
import { RejectsView } from "./views/rejects.tsx";
import { ServiceView } from "./views/service.tsx";
import { ServicesView } from "./views/services.tsx";

const VIEWS = [
  { href: "/services", label: "Services" },
  { href: "/rejects", label: "Rejects" },
  { href: "/pipeline", label: "Pipeline" },
] as const;

function App() {
  const where = useLocation();
  const main = useRef<HTMLElement>(null);
  const [error, reset] = useErrorBoundary();
  const section = where.path === "/" ? "/services" : `/${where.path.split("/")[1] ?? ""}`;

  // A new view: move focus to it, so keyboard and screen-reader users start at its heading.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [where.path]);

  let view;
  if (error) {
    view = (
      <div role="alert" class="problem">
        <h1>Something broke in the page</h1>
        <p>{String((error as Error).message ?? error)}</p>
        <button type="button" onClick={reset}>
          Try again
        </button>
      </div>
    );
  } else if (section === "/services" && where.path.length > "/services/".length) {
    view = <ServiceView where={where} />;
  } else if (section === "/services") {
    view = <ServicesView where={where} />;
  } else if (section === "/rejects") {
    view = <RejectsView where={where} />;
  } else if (section === "/pipeline") {
    view = <PipelineView />;
  } else {
    view = (
      <div role="alert" class="problem">
        <h1>No such page</h1>
        <p>
          {where.path} is not a page of the console. <Link href="/services">Go to the services</Link>.
        </p>
      </div>
    );
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">scan-ingest</span>
        <nav aria-label="Views">
          <ul>
            {VIEWS.map(({ href, label }) => (
              <li key={href}>
                <Link href={href} {...(section === href && { "aria-current": "page" as const })}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {view}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
