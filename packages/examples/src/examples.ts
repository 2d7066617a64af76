/**
 * Every example, in the order of the Python SDK's inference guide.
 */
import type { Example } from "./Example.js"
import { effectAi } from "./examples/effectAi.js"
import { errorHandling } from "./examples/errorHandling.js"
import { healthVersion } from "./examples/healthVersion.js"
import { jsonMode } from "./examples/jsonMode.js"
import { modelsWithoutKey } from "./examples/modelsWithoutKey.js"
import { observability } from "./examples/observability.js"
import { onDemandChat } from "./examples/onDemandChat.js"
import { onDemandUtilities } from "./examples/onDemandUtilities.js"
import { openStream } from "./examples/openStream.js"
import { rawResponse } from "./examples/rawResponse.js"
import { rawSseLines } from "./examples/rawSseLines.js"
import { rawStreamingAsync } from "./examples/rawStreamingAsync.js"
import { responses } from "./examples/responses.js"
import { serverlessChat } from "./examples/serverlessChat.js"
import { streaming } from "./examples/streaming.js"
import { swapSurfaces } from "./examples/swapSurfaces.js"
import { testLayer } from "./examples/testLayer.js"
import { textCompletions } from "./examples/textCompletions.js"
import { tokenize } from "./examples/tokenize.js"
import { toolCalling } from "./examples/toolCalling.js"

export const examples: ReadonlyArray<Example> = [
  serverlessChat,
  modelsWithoutKey,
  textCompletions,
  responses,
  tokenize,
  healthVersion,
  onDemandChat,
  onDemandUtilities,
  streaming,
  rawSseLines,
  toolCalling,
  jsonMode,
  rawResponse,
  rawStreamingAsync,
  swapSurfaces,
  errorHandling,
  observability,
  openStream,
  testLayer,
  effectAi
]
