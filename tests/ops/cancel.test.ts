/**
 * A client that goes away is `cancelled`: its own outcome in the access log and
 * metrics, never a 5xx, a 504 upstream_timeout or a Bedrock error. Only the
 * gateway's own timeouts are 504s.
 */
import { afterEach, expect, test } from "bun:test";
import { type OpsStack, startOpsStack, waitFor } from "./helpers";

let s: OpsStack | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function metricsText(stack: OpsStack): Promise<string> {
  return (await stack.get("/metrics")).text();
}

for (const stream of [false, true]) {
  test(`abort before the first upstream byte (${stream ? "stream" : "non-stream"}) is cancelled, not 504`, async () => {
    s = await startOpsStack();
    const stack = s;
    const controller = new AbortController();
    const pending = stack
      .chat(
        {
          stream,
          messages: [{ role: "user", content: "[emu first=3000] think long" }],
        },
        {},
        controller.signal,
      )
      .catch(() => undefined);
    // Hold the request until Bedrock has it, then go away (a user pressing Stop).
    const runtimeCall = () =>
      stack.emu.requests.some(
        (r) => r.operation === "Converse" || r.operation === "ConverseStream",
      );
    await waitFor(runtimeCall, "the Bedrock call");
    controller.abort();
    void pending;
    await waitFor(() => stack.accessLines().length > 0, "the access line");
    const line = stack.accessLines()[0] ?? {};
    expect(line).toMatchObject({ status: 499, errorCode: "client_cancelled", cancelled: true });
    expect(line.bedrockException).toBeUndefined();
    const metrics = await metricsText(stack);
    expect(metrics).toContain(
      'gateway_requests_cancelled_total{route="/v1/chat/completions",stage="response"} 1',
    );
    expect(metrics).not.toMatch(/gateway_requests_total\{[^}]*status="5\d\d"/);
    expect(metrics).not.toMatch(/gateway_bedrock_errors_total\{/);
    // Nobody pages on it: logged at info, not warn.
    expect(
      stack.lines.some((l) => l.includes('"level":"warn"') && l.includes('"msg":"request"')),
    ).toBe(false);
  });
}

test("the gateway's own timeout is still a 504 upstream_timeout", async () => {
  s = await startOpsStack({ REQUEST_TIMEOUT_MS: "1000" });
  const res = await s.chat({ messages: [{ role: "user", content: "[emu first=3000] slow" }] });
  expect(res.status).toBe(504);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
  await waitFor(() => (s?.accessLines().length ?? 0) > 0, "the access line");
  expect(s.accessLines()[0]).toMatchObject({ status: 504, errorCode: "upstream_timeout" });
  expect(s.accessLines()[0]?.cancelled).toBeUndefined();
});
