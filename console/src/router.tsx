// Routing by the History API: the page's URL is its state (filters, page token), so every view can be
// bookmarked, reloaded and shared, and the browser's back button walks pages back.
import type { AnchorHTMLAttributes, ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

export interface Location {
  path: string;
  search: URLSearchParams;
  /** Page tokens of the pages before this one, for "Newer". */
  tokens: string[];
}

function current(): Location {
  const state = (history.state ?? {}) as { tokens?: unknown };
  const tokens = Array.isArray(state.tokens) ? state.tokens.filter((token) => typeof token === "string") : [];
  return { path: location.pathname, search: new URLSearchParams(location.search), tokens };
}

const listeners = new Set<() => void>();

/** Goes to `url` without a reload; `tokens` is the page-token trail to keep with it. */
export function navigate(url: string, tokens: string[] = []): void {
  history.pushState({ tokens }, "", url);
  for (const listener of listeners) listener();
}

export function useLocation(): Location {
  const [where, setWhere] = useState(current);
  useEffect(() => {
    const update = () => setWhere(current());
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return where;
}

/** A link that navigates in the page; a click with a modifier key still opens a new tab. */
export function Link(props: AnchorHTMLAttributes & { href: string; children: ComponentChildren }) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}
