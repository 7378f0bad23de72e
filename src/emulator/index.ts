/**
 * @module
 * Bedrock emulator: a local HTTP/1.1 server speaking Bedrock's wire protocol, so the real AWS
 * SDK v3 clients work against it unmodified. See README.md in this folder.
 */
export { ERROR_STATUS } from "./errors";
export {
  APPLICATION_PROFILE_ARN,
  APPLICATION_PROFILE_ID,
  buildCatalog,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_REGION,
  FOUNDATION_MODELS,
  foundationModelArn,
  INFERENCE_PROFILES,
} from "./fixtures";
export {
  findInvokeHandler,
  type InvokeHandler,
  type InvokeRequest,
  type InvokeResult,
  registerInvokeHandler,
} from "./invoke";
export { startEmulator } from "./server";
export type {
  CatalogOverride,
  ConverseReply,
  ConverseUsage,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  FoundationModelSummary,
  InferenceProfileSummary,
  Operation,
  RecordedRequest,
  Script,
  ScriptError,
  StreamControl,
} from "./types";
