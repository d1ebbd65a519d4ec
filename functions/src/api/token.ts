// Page tokens: opaque to callers, HMAC-signed, bound to one listing's filters and to its snapshot time.
// The token carries the last document's sort values and id (the cursor) and the read time of the first
// page: every later page reads Firestore as of that time, so writes between pages neither repeat nor
// hide a document. The HMAC makes an edited or made-up token fail verification instead of reaching
// Firestore, and the filter digest makes a token of another listing fail as foreign.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import * as z from "zod";
import { badParameter } from "./problem.ts";

/** Where a listing stopped and the snapshot it reads. */
export interface Cursor {
  /** The last document's sort timestamp, [seconds, nanoseconds]. */
  after: [number, number];
  /** The last document's id. */
  id: string;
  /** The first page's read time, [seconds, nanoseconds]. */
  readTime: [number, number];
}

const pair = z.tuple([z.int().min(0), z.int().min(0).max(999_999_999)]);
const payloadSchema = z.strictObject({
  // Version 2: every listing is newest first, so every cursor has `after` (version 1's by-key one had none).
  v: z.literal(2),
  q: z.string(),
  c: z.strictObject({ after: pair, id: z.string().min(1).max(1500), readTime: pair }),
});

const macBytes = 16;
const mustBe = "the nextPageToken of an earlier page of the same listing";

/** Signs and checks the page tokens of one deployment. */
export interface PageTokens {
  /** The token that resumes `listing` (its canonical filters) after `cursor`. */
  issue(listing: string, cursor: Cursor): string;
  /** The cursor of a token issued for `listing`; a 400 problem naming pageToken otherwise. */
  verify(listing: string, token: string): Cursor;
}

/** A short digest of a listing's canonical filters: a token from another listing does not match it. */
function listingDigest(listing: string): string {
  // Stryker disable next-line MethodExpression: the digest only has to differ between listings; the cut keeps tokens short
  return createHash("sha256").update(listing).digest("base64url").slice(0, 16);
}

/** Page tokens signed with `secret` (PAGE_TOKEN_SECRET, shared by every instance of the deployment). */
export function pageTokens(secret: string): PageTokens {
  const mac = (payload: string) =>
    createHmac("sha256", secret).update(payload).digest().subarray(0, macBytes);
  return {
    issue(listing, cursor) {
      const payload = Buffer.from(JSON.stringify({ v: 2, q: listingDigest(listing), c: cursor })).toString(
        "base64url",
      );
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    verify(listing, token) {
      const [payload, signature, extra] = token.split(".");
      if (
        // Stryker disable next-line ConditionalExpression: split always gives a first part, so it is never undefined
        payload === undefined ||
        signature === undefined ||
        extra !== undefined ||
        !/^[\w-]+$/.test(payload)
      )
        throw badParameter("pageToken", `${mustBe} (it is malformed)`);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== macBytes || !timingSafeEqual(given, mac(payload)))
        throw badParameter(
          "pageToken",
          `${mustBe} (its signature does not match: altered or not issued here)`,
        );
      let parsed: z.infer<typeof payloadSchema>;
      try {
        parsed = payloadSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
      } catch {
        throw badParameter("pageToken", `${mustBe} (an unknown version)`);
      }
      if (parsed.q !== listingDigest(listing))
        throw badParameter("pageToken", `${mustBe} (it belongs to a listing with other filters)`);
      return parsed.c as Cursor;
    },
  };
}
