// The API's zod schemas: they parse every request parameter and describe every response, and the
// OpenAPI document (openapi.ts) is generated from these same objects.
// Full zod, not zod/mini as the ingest path: zod-openapi reads the .meta() that only the full API offers.
import * as z from "zod";
import { canonicalIp } from "../key.ts";
import { reasons } from "../reasons.ts";
import { servicePattern } from "../scan.ts";
import { rfc3339 } from "./responses.ts";

/** The largest page. */
export const maxLimit = 1000;
/** The page size when `limit` is not given. */
export const defaultLimit = 50;

/** An IP address in any valid spelling, canonicalised as the ingest path stores it. */
export const ipParam = z
  .string()
  .max(100)
  .transform((ip, context) => {
    const canonical = canonicalIp(ip);
    if (canonical === undefined) context.addIssue({ code: "custom", message: "not an IP address" });
    return canonical ?? ip;
  })
  .meta({
    description: "IPv4 dotted quad or IPv6 address (any valid spelling; IPv4-mapped IPv6 is IPv4)",
    example: "1.1.1.7",
  });

/** A port number written in decimal, 0..65535. */
export const portParam = z
  .string()
  .regex(/^\d{1,5}$/)
  .transform(Number)
  .refine((port) => port <= 65535)
  .meta({
    description: "port, 0 to 65535",
    example: 443,
    override: { type: "integer", minimum: 0, maximum: 65535 },
  });

/** A service name in any case; stored upper-cased. */
export const serviceParam = z
  .string()
  .regex(servicePattern)
  .transform((service) => service.toUpperCase())
  .meta({ description: `service name matching ${servicePattern.source}, any case`, example: "http" });

/** A reason code of docs/contract.md §1. */
export const reasonParam = z.enum(reasons).meta({ description: "reject reason code" });

/** The page size. */
export const limitParam = z
  .string()
  .regex(/^\d{1,4}$/)
  .transform(Number)
  .refine((limit) => limit >= 1 && limit <= maxLimit)
  .meta({
    description: `page size, 1 to ${maxLimit} (default ${defaultLimit})`,
    override: { type: "integer", minimum: 1, maximum: maxLimit, default: defaultLimit },
  });

/** An RFC 3339 date-time with an offset: only what was scanned (or rejected) at or after it. */
export const sinceParam = rfc3339
  .transform((text) => new Date(text))
  .refine((date) => !Number.isNaN(date.getTime()))
  .meta({
    description: "RFC 3339 date-time: only documents at or after it",
    example: "2026-01-01T00:00:00Z",
  });

/** The opaque token of the next page, from the previous page's nextPageToken. */
export const pageTokenParam = z
  .string()
  .max(2000)
  .meta({ description: "nextPageToken of the previous page of the same listing (same filters)" });

/** Path parameters of one service. */
export const servicePath = z.object({ ip: ipParam, port: portParam, service: serviceParam });

/** Query parameters of the services listing. */
export const servicesQuery = z.strictObject({
  ip: ipParam.optional(),
  port: portParam.optional(),
  service: serviceParam.optional(),
  since: sinceParam.optional(),
  limit: limitParam.optional(),
  pageToken: pageTokenParam.optional(),
});

/** Query parameters of a service's history. */
export const historyQuery = z.strictObject({
  limit: limitParam.optional(),
  pageToken: pageTokenParam.optional(),
});

/** Query parameters of the rejects listing. */
export const rejectsQuery = z.strictObject({
  reason: reasonParam.optional(),
  since: sinceParam.optional(),
  limit: limitParam.optional(),
  pageToken: pageTokenParam.optional(),
});

/** What each parameter must be, for the problem's detail. */
export const mustBe: Record<string, string> = {
  ip: "an IPv4 or IPv6 address",
  port: "an integer from 0 to 65535",
  service: `a service name matching ${servicePattern.source}`,
  reason: `one of ${reasons.join(", ")}`,
  limit: `an integer from 1 to ${maxLimit}`,
  since: "an RFC 3339 date-time with an offset, e.g. 2026-01-01T00:00:00Z",
  pageToken: "the nextPageToken of an earlier page of the same listing",
};
