// The local pipeline's public face: startPipeline and what its callers name.
export {
  pipelineNames,
  startPipeline,
  type EmbeddedFirestoreHandle,
  type EmbeddedPubsubHandle,
  type Pipeline,
  type PipelineOptions,
  type Totals,
} from "./pipeline.ts";
export {
  PipelineStartError,
  startFunctionServer,
  type FunctionInstance,
  type OutcomeEvent,
  type OutputLine,
} from "./function-server.ts";
export type { DeadLetter } from "./dead-letters.ts";
export { defaultTopology, ensurePushTopology, type PushTopology } from "./topology.ts";
