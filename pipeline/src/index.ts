// The local pipeline's public face: startPipeline, the one function-server launcher, and what callers name.
export {
  startPipeline,
  type EmbeddedFirestoreHandle,
  type EmbeddedPubsubHandle,
  type Pipeline,
  type PipelineOptions,
  type PushSubscription,
  type Totals,
} from "./pipeline.ts";
export { startFunctionServer, type FunctionServer, type FunctionServerOptions } from "./function-server.ts";
export type { FunctionInstance, OutputLine } from "./instances.ts";
export {
  acknowledged,
  COUNT_NAMES,
  processed,
  ZERO_COUNTS,
  type Counts,
  type InstanceTotals,
  type OutcomeEvent,
} from "./outcomes.ts";
export type { DeadLetter } from "./dead-letters.ts";
export { PipelineStartError } from "./start-error.ts";
export {
  DEFAULT_COLLECTIONS,
  DEFAULT_NAMES,
  DEFAULT_PORTS,
  DEFAULT_PROJECT,
  MAX_DELIVERY_ATTEMPTS,
} from "./defaults.ts";
export { defaultTopology, ensurePushTopology, pipelineNames, type PushTopology } from "./topology.ts";
