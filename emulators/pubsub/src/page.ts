import { invalidArgument } from "@scan-ingest/emulator-shared/status";

/** One page of a sorted list; the page token is the offset of the next page. */
export function page<T>(
  items: T[],
  pageSize: number | null | undefined,
  pageToken: string | null | undefined,
): { items: T[]; nextPageToken: string } {
  const start = pageToken ? Number(pageToken) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalidArgument(`Invalid page_token "${pageToken}".`);
  const size = pageSize && pageSize > 0 ? pageSize : 100;
  const end = start + size;
  return { items: items.slice(start, end), nextPageToken: end < items.length ? String(end) : "" };
}
