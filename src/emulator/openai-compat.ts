/**
 * @module
 * Bedrock's OpenAI-compatible endpoint on bedrock-runtime: `POST /openai/v1/responses` and
 * `POST /openai/v1/chat/completions` (SigV4 service `bedrock`, or a Bedrock API key as Bearer).
 * Errors use OpenAI's shape `{"error":{message,type,param,code}}`.
 *
 * What it serves and rejects, as AWS documents the runtime endpoint:
 * - models: OpenAI's GPT-5.x ({@link OPENAI_COMPAT_MODELS}, not served by Converse) on both
 *   APIs; gpt-oss on Chat Completions only (its Responses API is bedrock-mantle only);
 * - requests are synchronous: `background: true` → 400;
 * - no server-side tools: any tool but `function` / `custom` → 400 naming it;
 * - only the default project; no stored state (`previous_response_id` → 400).
 *
 * Replies: a script's `reply` (text and toolUse blocks, as for Converse), else
 * `Hello from Bedrock's OpenAI-compatible endpoint. You said: <last user text>`;
 * streams as the documented event sequences (`stream.chunkSize` characters per delta).
 */
import type { Context } from "hono";
import { recordRequest } from "./call";
import type { EmulatorState } from "./state";
import type { ConverseReply, Operation } from "./types";

/** Models only the OpenAI-compatible endpoint serves. */
export const OPENAI_COMPAT_MODELS = ["openai.gpt-5.4", "openai.gpt-5.5"];
const CHAT_ONLY_MODELS = ["openai.gpt-oss-120b-1:0", "openai.gpt-oss-20b-1:0"];

function oaiError(status: number, message: string, param: string | null, code: string | null) {
  const type =
    status === 401
      ? "authentication_error"
      : status === 404
        ? "not_found_error"
        : "invalid_request_error";
  return Response.json({ error: { message, type, param, code } }, { status });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hex(n: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");
}

/** The last user text of a Responses `input` or chat `messages`. */
function lastUserText(items: unknown): string {
  if (typeof items === "string") return items;
  if (!Array.isArray(items)) return "";
  for (let i = items.length - 1; i >= 0; i--) {
    const m = items[i];
    if (!isRecord(m) || m.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (Array.isArray(m.content)) {
      return m.content
        .map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : ""))
        .join("");
    }
  }
  return "";
}

interface Answer {
  text: string;
  calls: Array<{ id: string; name: string; arguments: string }>;
  usage: { input: number; output: number };
  chunkSize: number;
}

function answerOf(
  body: Record<string, unknown>,
  items: unknown,
  reply: ConverseReply | undefined,
  chunkSize: number,
): Answer {
  let text = "";
  const calls: Answer["calls"] = [];
  if (reply) {
    for (const b of reply.content) {
      if (typeof b.text === "string") text += b.text;
      const tu = b.toolUse;
      if (isRecord(tu))
        calls.push({
          id: String(tu.toolUseId ?? `call_${hex(8)}`),
          name: String(tu.name),
          arguments: JSON.stringify(tu.input ?? {}),
        });
    }
  } else {
    text = `Hello from Bedrock's OpenAI-compatible endpoint. You said: ${lastUserText(items).slice(0, 200)}`;
  }
  const input = Math.ceil(JSON.stringify(body).length / 4);
  const output = Math.ceil((text.length + calls.reduce((n, c) => n + c.arguments.length, 0)) / 4);
  return { text, calls, usage: { input, output }, chunkSize };
}

function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

async function begin(c: Context, state: EmulatorState, operation: Operation) {
  const record = await recordRequest(c, state, operation);
  const auth = c.req.header("authorization") ?? "";
  if (!auth.startsWith("AWS4-HMAC-SHA256 ") && !auth.startsWith("Bearer ")) {
    return { error: oaiError(401, "Missing or invalid authentication.", null, "invalid_api_key") };
  }
  const body = record.body;
  if (!isRecord(body))
    return {
      error: oaiError(400, "The request body must be a JSON object.", null, "invalid_json"),
    };
  const model = typeof body.model === "string" ? body.model : "";
  const script = state.scripts.take(operation, model);
  if (script?.delayMs) await Bun.sleep(script.delayMs);
  if (script?.error) {
    return {
      error: oaiError(
        script.error.status ?? 400,
        script.error.message ?? script.error.type,
        null,
        script.error.type,
      ),
    };
  }
  return { body, model, script };
}

export async function handleOpenAIResponses(c: Context, state: EmulatorState): Promise<Response> {
  const r = await begin(c, state, "OpenAIResponses");
  if ("error" in r) return r.error as Response;
  const { body, model, script } = r;
  if (!OPENAI_COMPAT_MODELS.includes(model)) {
    const why = CHAT_ONLY_MODELS.includes(model)
      ? " on the Responses API of bedrock-runtime (use bedrock-mantle)"
      : "";
    return oaiError(
      404,
      `The model '${model}' is not supported${why}.`,
      "model",
      "model_not_found",
    );
  }
  if (body.input === undefined)
    return oaiError(
      400,
      "Missing required parameter: 'input'.",
      "input",
      "missing_required_parameter",
    );
  if (body.background === true)
    return oaiError(
      400,
      "Background mode is not supported on this endpoint.",
      "background",
      "unsupported_parameter",
    );
  if (body.previous_response_id != null)
    return oaiError(
      400,
      "previous_response_id is not supported on this endpoint.",
      "previous_response_id",
      "unsupported_parameter",
    );
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const [i, t] of tools.entries()) {
    const type = isRecord(t) ? t.type : undefined;
    if (type !== "function" && type !== "custom") {
      return oaiError(
        400,
        `Server-side tools are not supported on this endpoint: '${String(type)}'.`,
        `tools[${i}].type`,
        "unsupported_parameter",
      );
    }
  }
  const a = answerOf(body, body.input, script?.reply, script?.stream?.chunkSize ?? 16);
  const id = `resp_${hex(24)}`;
  const created = Math.floor(Date.now() / 1000);
  const msgId = `msg_${hex(24)}`;
  const output: Record<string, unknown>[] = [];
  if (a.text)
    output.push({
      type: "message",
      id: msgId,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: a.text, annotations: [], logprobs: [] }],
    });
  const callItems = a.calls.map((call) => ({
    type: "function_call",
    id: `fc_${hex(24)}`,
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: "completed",
  }));
  output.push(...callItems);
  const response = (status: string, out: unknown[]) => ({
    id,
    object: "response",
    created_at: created,
    status,
    model,
    output: out,
    error: null,
    incomplete_details: null,
    usage:
      status === "completed"
        ? {
            input_tokens: a.usage.input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: a.usage.output,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: a.usage.input + a.usage.output,
          }
        : null,
  });
  if (body.stream !== true) return Response.json(response("completed", output));

  const events: Record<string, unknown>[] = [];
  const ev = (type: string, fields: Record<string, unknown>) =>
    events.push({ type, sequence_number: events.length, ...fields });
  ev("response.created", { response: response("in_progress", []) });
  ev("response.in_progress", { response: response("in_progress", []) });
  let index = 0;
  if (a.text) {
    ev("response.output_item.added", {
      output_index: index,
      item: { type: "message", id: msgId, role: "assistant", status: "in_progress", content: [] },
    });
    ev("response.content_part.added", {
      item_id: msgId,
      output_index: index,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [], logprobs: [] },
    });
    for (const delta of pieces(a.text, a.chunkSize))
      ev("response.output_text.delta", {
        item_id: msgId,
        output_index: index,
        content_index: 0,
        delta,
        logprobs: [],
      });
    ev("response.output_text.done", {
      item_id: msgId,
      output_index: index,
      content_index: 0,
      text: a.text,
      logprobs: [],
    });
    ev("response.content_part.done", {
      item_id: msgId,
      output_index: index,
      content_index: 0,
      part: { type: "output_text", text: a.text, annotations: [], logprobs: [] },
    });
    ev("response.output_item.done", { output_index: index, item: output[0] });
    index++;
  }
  for (const item of callItems) {
    ev("response.output_item.added", {
      output_index: index,
      item: { ...item, arguments: "", status: "in_progress" },
    });
    for (const delta of pieces(item.arguments, a.chunkSize))
      ev("response.function_call_arguments.delta", {
        item_id: item.id,
        output_index: index,
        delta,
      });
    ev("response.function_call_arguments.done", {
      item_id: item.id,
      output_index: index,
      arguments: item.arguments,
    });
    ev("response.output_item.done", { output_index: index, item });
    index++;
  }
  ev("response.completed", { response: response("completed", output) });
  const text = events
    .map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`)
    .join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

export async function handleOpenAIChatCompletions(
  c: Context,
  state: EmulatorState,
): Promise<Response> {
  const r = await begin(c, state, "OpenAIChatCompletions");
  if ("error" in r) return r.error as Response;
  const { body, model, script } = r;
  if (!OPENAI_COMPAT_MODELS.includes(model) && !CHAT_ONLY_MODELS.includes(model)) {
    return oaiError(404, `The model '${model}' is not supported.`, "model", "model_not_found");
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return oaiError(
      400,
      "Missing required parameter: 'messages'.",
      "messages",
      "missing_required_parameter",
    );
  }
  const a = answerOf(body, body.messages, script?.reply, script?.stream?.chunkSize ?? 16);
  const id = `chatcmpl-${hex(12)}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = a.calls.length > 0 ? "tool_calls" : "stop";
  const usage = {
    prompt_tokens: a.usage.input,
    completion_tokens: a.usage.output,
    total_tokens: a.usage.input + a.usage.output,
  };
  const toolCalls = a.calls.map((call) => ({
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  }));
  if (body.stream !== true) {
    return Response.json({
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: a.text || null,
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: finish,
          logprobs: null,
        },
      ],
      usage,
    });
  }
  const chunk = (delta: unknown, finishReason: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  const chunks: unknown[] = [chunk({ role: "assistant", content: "" }, null)];
  for (const delta of pieces(a.text, a.chunkSize)) chunks.push(chunk({ content: delta }, null));
  toolCalls.forEach((tc, index) => {
    chunks.push(chunk({ tool_calls: [{ index, ...tc }] }, null));
  });
  chunks.push(chunk({}, finish));
  const opts = body.stream_options;
  if (isRecord(opts) && opts.include_usage === true)
    chunks.push({ id, object: "chat.completion.chunk", created, model, choices: [], usage });
  const text = `${chunks.map((ch) => `data: ${JSON.stringify(ch)}\n\n`).join("")}data: [DONE]\n\n`;
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}
