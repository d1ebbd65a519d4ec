// The one push endpoint of shared instances, as Cloud Run's frontend is: a small HTTP front that hands each push
// to the next running function instance in turn. The instances share one push subscription, so each message is
// processed once, apart from Pub/Sub's own redeliveries. A front in this process rather than node:cluster's
// shared socket keeps every instance its own functions-framework process: killed, restarted and its log lines
// attributed one by one (docs/running.md, "Instances").
import { once } from "node:events";
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { pipeline } from "node:stream";

/** An instance as the front sees it: where it listens, and whether its process runs. */
export interface FrontTarget {
  readonly port: number;
  /** Undefined while the instance is not running: the front skips it. */
  readonly pid: number | undefined;
}

export interface Front {
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  close(): Promise<void>;
}

/** Pub/Sub nacks any answer but 102, 200, 201, 202 and 204, and redelivers with backoff. */
const NO_INSTANCE = 503;
/** The instance took the push and went away before answering (a crash mid-delivery). */
const INSTANCE_LOST = 502;

/** Listens on `port` (0: a free one) and forwards every request to `targets`, round robin over the running ones. */
export async function startFront(port: number, targets: readonly FrontTarget[]): Promise<Front> {
  // Kept-alive connections to the instances, as the push client keeps its own to the front.
  const agent = new Agent({ keepAlive: true });
  let turn = 0;
  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => outgoing.destroy());
  });
  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    // Whole, so a push an instance refused (not listening yet, or just killed) can go to the next one.
    const body = Buffer.concat(await incoming.toArray());
    const running = targets.filter((target) => target.pid !== undefined);
    const first = turn++;
    for (let offset = 0; offset < running.length; offset++) {
      const target = running[(first + offset) % running.length]!;
      const answer = await forward(agent, target.port, incoming, body);
      if (answer === "refused") continue;
      if (answer === "lost")
        return reply(outgoing, INSTANCE_LOST, "the function instance went away mid-delivery");
      outgoing.writeHead(answer.statusCode ?? INSTANCE_LOST, answer.headers);
      // An instance killed mid-answer ends the push's connection too, so the push fails rather than hangs.
      pipeline(answer, outgoing, () => undefined);
      return;
    }
    reply(outgoing, NO_INSTANCE, "no function instance is running; Pub/Sub redelivers after its backoff");
  };
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The instance's response; "refused" when nothing listens on its port, "lost" when it failed after connecting. */
function forward(
  agent: Agent,
  port: number,
  incoming: IncomingMessage,
  body: Buffer,
): Promise<IncomingMessage | "refused" | "lost"> {
  const { connection: _hopByHop, ...headers } = incoming.headers;
  return new Promise((resolve) => {
    const upstream = request(
      { host: "127.0.0.1", port, method: incoming.method, path: incoming.url, headers, agent },
      resolve,
    );
    upstream.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ECONNREFUSED" ? "refused" : "lost"),
    );
    upstream.end(body);
  });
}

function reply(outgoing: ServerResponse, status: number, text: string): void {
  outgoing.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
}
