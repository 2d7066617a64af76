/**
 * The README's collector setup, compiled with the examples: spans, metrics and logs over OTLP/HTTP (JSON) to a
 * collector on localhost:4318, with no OpenTelemetry SDK package (not run by the examples).
 */
import * as Otlp from "@effect/opentelemetry/Otlp"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Layer } from "effect"

export const CollectorLive = Otlp.layerJson({
  baseUrl: "http://localhost:4318",
  resource: { serviceName: "my-service" }
}).pipe(Layer.provide(FetchHttpClient.layer))
