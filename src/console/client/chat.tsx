/**
 * The chat playground: pick a model, stream an answer token by token with its
 * reasoning and tool calls, tune the request, copy it as code, stop it.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, call, errorFrom } from "./api";
import { Markdown } from "./markdown";
import { Snippet } from "./snippet-view";
import { sseData } from "./sse";

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface UserTurn {
  id: number;
  role: "user";
  content: string;
}

interface AssistantTurn {
  id: number;
  role: "assistant";
  model: string;
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  /** Signed thinking blocks, sent back with the history (Bedrock requires them with tools). */
  thinkingBlocks: unknown[];
  status: "streaming" | "done" | "stopped" | "error";
  error?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: string;
}

type Turn = UserTurn | AssistantTurn;

interface Settings {
  system: string;
  temperature: string;
  maxTokens: string;
  reasoningEffort: string;
  tools: string;
}

const EFFORTS = ["none", "minimal", "low", "medium", "high"];

const EXAMPLE_TOOLS = JSON.stringify(
  [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Current weather for a city",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
        },
      },
    },
  ],
  null,
  2,
);

/** The status an OpenAI error type stands for, for errors that arrive inside a stream. */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  timeout_error: 408,
  rate_limit_error: 429,
  server_error: 500,
};

const NO_TOOL_RESULT = "The console does not run tools: no result.";

let nextId = 1;

/** The history as OpenAI messages; failed or empty exchanges are left out. */
function historyMessages(turns: Turn[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (!turn) continue;
    if (turn.role === "user") {
      const answer = turns[i + 1];
      const answered =
        answer?.role === "assistant" && (answer.content !== "" || answer.toolCalls.length > 0);
      if (!answered) {
        i++; // drop the failed exchange so roles keep alternating
        continue;
      }
      out.push({ role: "user", content: turn.content });
      continue;
    }
    const message: Record<string, unknown> = { role: "assistant", content: turn.content || null };
    if (turn.toolCalls.length > 0) {
      message.tool_calls = turn.toolCalls.map((t) => ({
        id: t.id,
        type: "function",
        function: { name: t.name, arguments: t.arguments || "{}" },
      }));
    }
    if (turn.thinkingBlocks.length > 0) message.thinking_blocks = turn.thinkingBlocks;
    out.push(message);
    for (const t of turn.toolCalls)
      out.push({ role: "tool", tool_call_id: t.id, content: NO_TOOL_RESULT });
  }
  return out;
}

interface BuiltRequest {
  body?: Record<string, unknown>;
  problem?: string;
}

function buildRequest(
  model: string,
  settings: Settings,
  turns: Turn[],
  draft: string,
): BuiltRequest {
  const messages: unknown[] = [];
  if (settings.system.trim() !== "") messages.push({ role: "system", content: settings.system });
  messages.push(...historyMessages(turns));
  messages.push({ role: "user", content: draft });
  const body: Record<string, unknown> = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (settings.temperature.trim() !== "") {
    const t = Number(settings.temperature);
    if (!Number.isFinite(t) || t < 0 || t > 2)
      return { problem: "Temperature must be between 0 and 2." };
    body.temperature = t;
  }
  if (settings.maxTokens.trim() !== "") {
    const n = Number(settings.maxTokens);
    if (!Number.isInteger(n) || n < 1) return { problem: "Max tokens must be a positive integer." };
    body.max_tokens = n;
  }
  if (settings.reasoningEffort !== "") body.reasoning_effort = settings.reasoningEffort;
  if (settings.tools.trim() !== "") {
    try {
      const tools = JSON.parse(settings.tools) as unknown;
      if (!Array.isArray(tools))
        return { problem: "Tools must be a JSON array of tool definitions." };
      body.tools = tools;
    } catch {
      return { problem: "Tools is not valid JSON." };
    }
  }
  return { body };
}

interface ChunkDelta {
  content?: string | null;
  reasoning_content?: string | null;
  thinking_blocks?: unknown[];
  tool_calls?: Array<{
    index?: number;
    id?: string;
    function?: { name?: string; arguments?: string };
  }>;
}

interface Chunk {
  error?: unknown;
  choices?: Array<{ delta?: ChunkDelta; finish_reason?: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

function applyChunk(turn: AssistantTurn, chunk: Chunk): void {
  if (chunk.usage) turn.usage = chunk.usage;
  for (const choice of chunk.choices ?? []) {
    const d = choice.delta ?? {};
    if (d.reasoning_content) turn.reasoning += d.reasoning_content;
    if (d.content) turn.content += d.content;
    if (d.thinking_blocks) turn.thinkingBlocks.push(...d.thinking_blocks);
    for (const tc of d.tool_calls ?? []) {
      const index = tc.index ?? turn.toolCalls.length;
      let call = turn.toolCalls[index];
      if (!call) {
        call = { id: "", name: "", arguments: "" };
        turn.toolCalls[index] = call;
      }
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.name += tc.function.name;
      if (tc.function?.arguments) call.arguments += tc.function.arguments;
    }
    if (choice.finish_reason) turn.finishReason = choice.finish_reason;
  }
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function AssistantMessage({ turn }: { turn: AssistantTurn }) {
  const label = turn.status === "streaming" ? "Assistant (answering)" : "Assistant";
  return (
    <article class={`msg msg-assistant msg-${turn.status}`} aria-label={label}>
      <header class="msg-head">
        <span class="msg-role">Assistant</span>
        <span class="msg-model">{turn.model}</span>
      </header>
      {turn.reasoning !== "" && (
        <details class="reasoning" aria-label="Reasoning" open>
          <summary>Reasoning</summary>
          <div class="reasoning-text">{turn.reasoning}</div>
        </details>
      )}
      {turn.content !== "" && (
        <div class="msg-text" data-testid="answer">
          <Markdown text={turn.content} />
        </div>
      )}
      {turn.toolCalls.map((t) => (
        <section class="tool-call" aria-label={`Tool call ${t.name}`} key={t.id || t.name}>
          <div class="tool-call-head">
            Tool call <code>{t.name}</code>
            {t.id && <span class="muted"> · {t.id}</span>}
          </div>
          <pre class="code">
            <code>{prettyJson(t.arguments)}</code>
          </pre>
        </section>
      ))}
      {turn.status === "streaming" && turn.content === "" && turn.toolCalls.length === 0 && (
        <div class="muted typing">Waiting for the model…</div>
      )}
      {turn.error && (
        <div class="alert" role="alert">
          <strong>Error </strong>
          {turn.error}
        </div>
      )}
      {turn.status === "stopped" && <div class="muted">Stopped.</div>}
      {turn.status === "done" && turn.usage && (
        <div class="msg-meta muted">
          {turn.usage.prompt_tokens} input · {turn.usage.completion_tokens} output tokens
          {turn.finishReason && turn.finishReason !== "stop" ? ` · ${turn.finishReason}` : ""}
        </div>
      )}
    </article>
  );
}

export function ChatView(props: { apiKey: string; models: string[]; preferred: string }) {
  const { apiKey, models } = props;
  const [model, setModel] = useState(() => {
    const saved = sessionStorage.getItem("bedrock-gateway.console.model");
    if (saved && models.includes(saved)) return saved;
    return models.includes(props.preferred) ? props.preferred : (models[0] ?? "");
  });
  const [settings, setSettings] = useState<Settings>({
    system: "",
    temperature: "",
    maxTokens: "",
    reasoningEffort: "",
    tools: "",
  });
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [controller, setController] = useState<AbortController | null>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const messageRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!models.includes(model) && models[0]) setModel(models[0]);
  }, [models, model]);

  useEffect(() => {
    messageRef.current?.focus();
  }, []);

  // Follow the answer while it streams, unless the reader scrolled up.
  useEffect(() => {
    const log = logRef.current;
    if (log && log.scrollHeight - log.scrollTop - log.clientHeight < 120) {
      log.scrollTop = log.scrollHeight;
    }
  }, [turns]);

  const preview = useMemo(
    () => buildRequest(model, settings, turns, draft || "Hello!"),
    [model, settings, turns, draft],
  );

  const set = (field: keyof Settings) => (e: Event) =>
    setSettings({ ...settings, [field]: (e.currentTarget as HTMLInputElement).value });

  async function send(e?: Event) {
    e?.preventDefault();
    const text = draft.trim();
    if (text === "" || controller || model === "") return;
    const built = buildRequest(model, settings, turns, text);
    if (!built.body) {
      setProblem(built.problem ?? "Invalid settings.");
      return;
    }
    setProblem(null);
    const user: UserTurn = { id: nextId++, role: "user", content: text };
    const answer: AssistantTurn = {
      id: nextId++,
      role: "assistant",
      model,
      content: "",
      reasoning: "",
      toolCalls: [],
      thinkingBlocks: [],
      status: "streaming",
    };
    const update = () => {
      const copy = { ...answer, toolCalls: answer.toolCalls.map((t) => ({ ...t })) };
      setTurns((ts) => ts.map((t) => (t.id === answer.id ? copy : t)));
    };
    setTurns((ts) => [...ts, user, answer]);
    setDraft("");
    const ctrl = new AbortController();
    setController(ctrl);
    try {
      const res = await call(apiKey, "/v1/chat/completions", {
        method: "POST",
        body: built.body,
        signal: ctrl.signal,
      });
      if (!res.body) throw new ApiError(res.status, "The response has no body.");
      for await (const data of sseData(res.body)) {
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error) {
          const err = errorFrom(0, chunk, "The stream failed.");
          throw new ApiError(
            STATUS_OF_TYPE[err.type ?? ""] ?? 0,
            `${err.message} (the stream was interrupted)`,
            err.type,
            err.code,
          );
        }
        applyChunk(answer, chunk);
        update();
      }
      answer.status = "done";
    } catch (err) {
      if (ctrl.signal.aborted) {
        answer.status = "stopped";
      } else {
        answer.status = "error";
        answer.error = err instanceof ApiError ? err.describe() : String(err);
      }
    } finally {
      update();
      setController(null);
      messageRef.current?.focus();
    }
  }

  function onMessageKey(e: KeyboardEvent) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  }

  return (
    <div class="playground">
      <section class="chat" aria-label="Chat">
        <div class="toolbar">
          <label class="inline-field" for="chat-model">
            Model
          </label>
          <select
            id="chat-model"
            value={model}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setModel(v);
              sessionStorage.setItem("bedrock-gateway.console.model", v);
            }}
          >
            {models.map((m) => (
              <option value={m} key={m}>
                {m}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="secondary"
            onClick={() => setTurns([])}
            disabled={controller !== null || turns.length === 0}
          >
            New chat
          </button>
        </div>
        <div
          class="log"
          role="log"
          aria-label="Conversation"
          aria-busy={controller !== null}
          ref={logRef}
        >
          {turns.length === 0 && (
            <p class="empty muted">
              {models.length === 0
                ? "This key may use no chat model of this gateway."
                : "Send a message to start. Answers stream in as Bedrock produces them."}
            </p>
          )}
          {turns.map((t) =>
            t.role === "user" ? (
              <article class="msg msg-user" aria-label="You" key={t.id}>
                <header class="msg-head">
                  <span class="msg-role">You</span>
                </header>
                <div class="msg-text">{t.content}</div>
              </article>
            ) : (
              <AssistantMessage turn={t} key={t.id} />
            ),
          )}
        </div>
        <form class="composer" onSubmit={send}>
          <label for="chat-message" class="visually-hidden">
            Message
          </label>
          <textarea
            id="chat-message"
            ref={messageRef}
            rows={3}
            placeholder="Message (Enter sends, Shift+Enter for a new line)"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={onMessageKey}
          />
          <div class="composer-actions">
            {controller ? (
              <button type="button" class="danger" onClick={() => controller.abort()}>
                Stop
              </button>
            ) : null}
            <button
              type="submit"
              disabled={controller !== null || draft.trim() === "" || model === ""}
            >
              Send
            </button>
          </div>
          {problem && (
            <div class="alert" role="alert">
              {problem}
            </div>
          )}
        </form>
      </section>
      <aside class="side" aria-label="Request">
        <section class="panel" aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <label for="set-system">System prompt</label>
          <textarea id="set-system" rows={3} value={settings.system} onInput={set("system")} />
          <div class="row2">
            <div>
              <label for="set-temperature">Temperature</label>
              <input
                id="set-temperature"
                type="number"
                min={0}
                max={2}
                step={0.1}
                placeholder="default"
                value={settings.temperature}
                onInput={set("temperature")}
              />
            </div>
            <div>
              <label for="set-max-tokens">Max tokens</label>
              <input
                id="set-max-tokens"
                type="number"
                min={1}
                step={1}
                placeholder="default"
                value={settings.maxTokens}
                onInput={set("maxTokens")}
              />
            </div>
          </div>
          <label for="set-effort">Reasoning effort</label>
          <select
            id="set-effort"
            value={settings.reasoningEffort}
            onChange={set("reasoningEffort")}
          >
            <option value="">Model default (off)</option>
            {EFFORTS.map((e) => (
              <option value={e} key={e}>
                {e}
              </option>
            ))}
          </select>
          <div class="label-row">
            <label for="set-tools">Tools (JSON)</label>
            <button
              type="button"
              class="link-button"
              onClick={() => setSettings({ ...settings, tools: EXAMPLE_TOOLS })}
            >
              Example tool
            </button>
          </div>
          <textarea
            id="set-tools"
            class="mono"
            rows={4}
            placeholder='[{"type": "function", "function": {...}}]'
            value={settings.tools}
            onInput={set("tools")}
          />
        </section>
        <Snippet path="/chat/completions" body={preview.body} problem={preview.problem} />
      </aside>
    </div>
  );
}
