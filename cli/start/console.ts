// The console of `npm start`: the pipeline's counts as a feed, and the console server in front of the read API.
import {
  buildConsole,
  createPipelineFeed,
  startConsole,
  type ConsoleServer,
  type PipelineFeed,
} from "@scan-ingest/console";
import { stop as stopEsbuild } from "esbuild";
import type { OutcomeEvent, Pipeline } from "@scan-ingest/pipeline";

export interface PipelineConsole {
  url: string;
  feed: PipelineFeed;
  /** Hands one function server's outcome to the feed. */
  outcome(event: OutcomeEvent): void;
  close(): Promise<void>;
}

export interface PipelineConsoleOptions {
  /** 0: a free one. */
  port: number;
  /** What this process's scanner published so far. */
  published: () => number;
  /** "embedded" or "Google's", for the page. */
  emulators: string;
  /** Default true: bundle the page first (esbuild, well under a second). */
  build?: boolean;
}

export async function startPipelineConsole(
  pipeline: Pipeline,
  options: PipelineConsoleOptions,
): Promise<PipelineConsole> {
  if (!pipeline.api)
    throw new Error("the console reads through the read API: start the pipeline with apiPort");
  if (options.build !== false) {
    await buildConsole();
    // esbuild keeps a service process; ended here, it is reaped by us instead of outliving npm start.
    await stopEsbuild();
  }
  const feed = createPipelineFeed({
    emulators: options.emulators,
    topic: pipeline.topic,
    deadLetterTopic: pipeline.deadLetterTopic,
    deadLetterSubscription: pipeline.deadLetterSubscription,
    subscriptions: pipeline.subscriptions,
    instances: pipeline.instances.map(({ index, port, subscription }) => ({
      index,
      url: `http://127.0.0.1:${port}`,
      subscription,
    })),
    totals: () => ({ published: options.published(), ...pipeline.totals() }),
    deadLetters: () => pipeline.deadLettered(),
  });
  let server: ConsoleServer;
  try {
    server = await startConsole({
      port: options.port,
      apiUrl: `http://127.0.0.1:${pipeline.api.port}`,
      feed,
    });
  } catch (error) {
    feed.stop();
    throw error;
  }
  return {
    url: server.url,
    feed,
    outcome(event) {
      feed.delivery({
        instance: event.instance,
        outcome: event.outcome,
        ...(event.lagMs !== undefined && { lagMs: event.lagMs }),
      });
    },
    async close() {
      feed.stop();
      await server.close();
    },
  };
}
