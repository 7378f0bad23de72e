/**
 * The conversation request: what a client asked for, decoded from any surface
 * (OpenAI chat completions, Anthropic Messages, OpenAI Responses) into one
 * shape the Converse core turns into Bedrock input.
 *
 * Decoders keep the client's intent and its words for errors (`param`);
 * every Bedrock rule (what a model accepts, what is dropped with a warning,
 * what is rejected) lives in src/converse/, never in a decoder.
 *
 * @module
 */
import type { JsonObject, SystemPart, Turn } from "./parts";

/** A function tool (JSON arguments) or a free-form one (text input, OpenAI's custom tools). */
export type ToolDefinition =
  | {
      kind: "function";
      name: string;
      description?: string;
      /** JSON schema of the arguments; any object when absent. */
      inputSchema?: JsonObject;
      /** Strict schema adherence was asked for. */
      strict?: boolean;
      /** A cache breakpoint right after this tool. */
      cache?: { ttl?: "5m" | "1h" };
      /** The tool in the request (`tools[0]`), for warnings. */
      param: string;
      /** Where the tool's own fields sit (`tools[0].function`), for errors. */
      fieldParam: string;
    }
  | {
      kind: "custom";
      name: string;
      description?: string;
      /** The free-form grammar or format, as the client sent it. */
      format?: unknown;
      cache?: { ttl?: "5m" | "1h" };
      param: string;
      fieldParam: string;
    };

export type ToolChoice =
  | { type: "auto" }
  /** No tool may be called (the history is sent as text). */
  | { type: "none" }
  /** Some tool must be called. */
  | { type: "required" }
  | { type: "tool"; name: string }
  /** Only these tools are offered; `required` forces one of them. */
  | { type: "allowed"; names: string[]; mode: "auto" | "required" };

/** OpenAI's reasoning effort levels (Anthropic's budgets arrive as a native `thinking`). */
export type ReasoningEffort = "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export type OutputFormat =
  | { type: "json-object" }
  | {
      type: "json-schema";
      name: string;
      description?: string;
      /** Absent: any JSON object. */
      schema?: JsonObject;
      strict?: boolean;
    };

/**
 * A value the client gave for a Bedrock-native or provider-specific control,
 * with the name it used (`guardrailConfig`, `extra_body.top_k`), not yet
 * validated: the Converse passes validate it and name `param` in errors.
 */
export interface NativeValue {
  value: unknown;
  param: string;
}

/** Bedrock-native controls the client may set (see converse/native-controls.ts). */
export interface BedrockControls {
  guardrail?: NativeValue;
  performance?: NativeValue;
  serviceTier?: NativeValue;
  /** Request metadata objects, merged in order (later keys win). */
  requestMetadata?: NativeValue[];
  additionalModelRequestFields?: NativeValue;
  additionalModelResponseFieldPaths?: NativeValue;
  /** Claude betas (`anthropic_beta`), filtered through Bedrock's allow-list. */
  anthropicBeta?: NativeValue;
  /** Per-request override of the default cache points: `{system?, messages?}`. */
  promptCaching?: NativeValue;
}

export interface Limits {
  maxTokens?: number;
  /** The name the client gave the limit (`max_tokens`, `max_output_tokens`), for errors. */
  maxTokensParam?: string;
  stopSequences?: string[];
  /** The name the client gave the stop sequences (`stop`, `stop_sequences`), for errors. */
  stopSequencesParam?: string;
}

export interface Sampling {
  temperature?: number;
  topP?: number;
  /** Not in Converse's inferenceConfig: validated and placed per model. */
  topK?: NativeValue;
}

export interface ReasoningRequest {
  effort?: ReasoningEffort;
  /** Claude's own `thinking` object ({type: enabled|adaptive|disabled, budget_tokens}). */
  thinking?: NativeValue;
}

export interface Conversation {
  system: SystemPart[];
  turns: Turn[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** false: at most one tool call per turn. */
  parallelToolCalls?: boolean;
  outputFormat?: OutputFormat;
  reasoning: ReasoningRequest;
  limits: Limits;
  sampling: Sampling;
  bedrock: BedrockControls;
  /** The answer is streamed (Converse vs ConverseStream; some controls differ). */
  stream: boolean;
}

/** An empty conversation, for decoders to fill. */
export function emptyConversation(stream = false): Conversation {
  return {
    system: [],
    turns: [],
    tools: [],
    reasoning: {},
    limits: {},
    sampling: {},
    bedrock: {},
    stream,
  };
}
