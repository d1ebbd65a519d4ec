import { Timestamp } from "@google-cloud/firestore";
import { describe, expect, test } from "vitest";
import {
  cell,
  formatInstant,
  rejectsTable,
  serviceDetail,
  servicesTable,
  table,
  toJsonDocument,
} from "../scans/format.ts";

const service = {
  id: "1.1.1.7:443:HTTP",
  data: {
    ip: "1.1.1.7",
    port: 443,
    service: "HTTP",
    response: "hello\nworld",
    responseSize: 11,
    responseSha256: "ab",
    responseTruncated: false,
    scannedAt: new Timestamp(1732262400, 0),
    dataVersion: 1,
    messageId: "m1",
    publishTime: new Timestamp(1732262401, 123_000_000),
    updatedAt: new Timestamp(1732262402, 123_456_789),
  },
};

describe("formatting stored documents", () => {
  test.each([
    [new Timestamp(1732262400, 0), "2024-11-22T08:00:00Z"],
    [new Timestamp(1732262400, 5_000_000), "2024-11-22T08:00:00.005Z"],
    [new Timestamp(1732262400, 1), "2024-11-22T08:00:00.000000001Z"],
  ])("writes %s as RFC 3339 in UTC with the digits it needs", (timestamp, text) => {
    expect(formatInstant(timestamp)).toBe(text);
  });

  test("turns timestamps into text and bytes into base64 in JSON, with the id first", () => {
    const json = toJsonDocument(
      { ...service, data: { ...service.data, responseBytes: Buffer.from([0xff]) } },
      "key",
    );
    expect(Object.keys(json)[0]).toBe("key");
    expect(json).toMatchObject({
      key: "1.1.1.7:443:HTTP",
      scannedAt: "2024-11-22T08:00:00Z",
      publishTime: "2024-11-22T08:00:01.123Z",
      responseBytes: "/w==",
      port: 443,
    });
  });

  test("keeps a cell on one line and cuts it with an ellipsis", () => {
    expect(cell("a\nb\tc\u0000")).toBe("a\\nb\\tc\\u0000");
    expect(cell("abcdef", 4)).toBe("abc…");
    expect(cell(undefined)).toBe("");
    expect(cell(true)).toBe("true");
  });

  test("aligns columns under their headers", () => {
    expect(
      table(
        ["A", "BB"],
        [
          ["xxx", "y"],
          ["z", ""],
        ],
      ),
    ).toBe("A    BB\nxxx  y\nz\n");
  });

  test("lists services one per row", () => {
    expect(servicesTable([service])).toBe(
      "IP       PORT  SERVICE  SCANNED AT            V  RESPONSE\n" +
        "1.1.1.7  443   HTTP     2024-11-22T08:00:00Z  1  hello\\nworld\n",
    );
  });

  test("shows every field of one service, the response in full", () => {
    const lines = serviceDetail(service).split("\n");
    expect(lines[0]).toMatch(/^key\s+1\.1\.1\.7:443:HTTP$/);
    expect(lines).toContain("response           hello\\nworld");
    expect(lines).toContain("updatedAt          2024-11-22T08:00:02.123456789Z");
  });

  test("lists rejects with their reason and data", () => {
    const reject = {
      id: "m9",
      data: {
        reason: "invalid_json",
        detail: "not JSON",
        data: "{oops",
        messageId: "m9",
        rejectedAt: new Timestamp(0, 0),
      },
    };
    expect(rejectsTable([reject])).toBe(
      "MESSAGE ID  REASON        REJECTED AT           DETAIL    DATA\n" +
        "m9          invalid_json  1970-01-01T00:00:00Z  not JSON  {oops\n",
    );
  });
});
