import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { SubscriptionState } from "./broker.ts";
import type { Delivery } from "./delivery-queue.ts";
import type { PubSubFaults } from "./faults.ts";
import { PUSH_ACK_STATUSES, pushEnvelope } from "./push-envelope.ts";

// Not `import http from "node:http"`: an ES import of node:http reads every export, and one of them
// loads undici (a visible part of `emulators.readyMs`, docs/performance.md) although push delivery never uses it.
const http = process.getBuiltinModule("node:http");
const https = process.getBuiltinModule("node:https");

/** Delivers a push subscription's messages by HTTP POST, at most `concurrency` requests in flight. */
export function startPush(
  state: SubscriptionState,
  faults: PubSubFaults,
  concurrency: number,
): { stop(): void } {
  let inFlight = 0;
  let stopped = false;
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: concurrency }),
  };

  const send = async (delivery: Delivery, delayMs: number, primary: boolean): Promise<void> => {
    inFlight++;
    try {
      if (delayMs > 0) await sleep(delayMs);
      const { pushEndpoint, deadLetter, ackDeadlineSeconds } = state.config;
      if (stopped || !pushEndpoint) return;
      const body = JSON.stringify(pushEnvelope(state.resource.name ?? "", delivery, Boolean(deadLetter)));
      const { messageId, attributes } = delivery.message;
      const failed = faults.failPush?.(state.resource.name ?? "", {
        messageId,
        attributes,
        attempt: delivery.attempt,
      });
      if (failed) faults.injected.failedPushes++;
      const acked = !failed && (await post(pushEndpoint, body, ackDeadlineSeconds * 1000, agents));
      if (stopped) return;
      if (acked) state.queue.acknowledge(delivery.ackId);
      else if (primary) state.queue.modifyDeadline(delivery.ackId, 0); // a failed push is a nack
    } finally {
      inFlight--;
      pump();
    }
  };

  const pump = (): void => {
    while (!stopped && state.config.pushEndpoint && inFlight < concurrency) {
      const delayMs = Math.random() * faults.maxDelayMs;
      const delivery = state.queue.take(state.config.ackDeadlineSeconds, undefined, delayMs);
      if (!delivery) return;
      void send(delivery, delayMs, true);
      if (faults.duplicateRate > 0 && Math.random() < faults.duplicateRate) {
        const copy = state.queue.duplicate(delivery);
        if (copy) {
          faults.injected.duplicates++;
          void send(copy, Math.random() * faults.maxDelayMs, false);
        }
      }
    }
  };

  state.listeners.add(pump);
  pump();
  return {
    stop() {
      stopped = true;
      state.listeners.delete(pump);
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** POSTs the envelope; resolves true when the endpoint acknowledged, false on any other status or failure. */
function post(
  endpoint: string,
  body: string,
  timeoutMs: number,
  agents: { http: HttpAgent; https: HttpsAgent },
): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL(endpoint);
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(
      url,
      {
        method: "POST",
        agent: url.protocol === "https:" ? agents.https : agents.http,
        timeout: timeoutMs,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "APIs-Google; (embedded Pub/Sub emulator)",
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(PUSH_ACK_STATUSES.has(response.statusCode ?? 0)));
        response.on("error", () => resolve(false));
      },
    );
    // 102 Processing is informational in HTTP, but Google counts it as an acknowledgement.
    request.on("information", (info) => {
      if (info.statusCode === 102) resolve(true);
    });
    request.on("timeout", () => request.destroy(new Error("push timed out")));
    request.on("error", () => resolve(false));
    request.end(body);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
