/**
 * @module
 * Bedrock control-plane operations: ListFoundationModels (filtered, not paginated),
 * GetFoundationModel, ListInferenceProfiles (paginated by nextToken) and GetInferenceProfile.
 */
import type { Call } from "./call";
import { validationError } from "./errors";

const MAX_RESULTS_LIMIT = 1000;

function json(body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": "application/json", "x-amzn-requestid": requestId },
  });
}

export function handleListFoundationModels(call: Call): Response {
  const q = call.record.query;
  const modelSummaries = call.state.catalog.listFoundationModels({
    ...(q.byProvider ? { byProvider: q.byProvider } : {}),
    ...(q.byOutputModality ? { byOutputModality: q.byOutputModality } : {}),
    ...(q.byInferenceType ? { byInferenceType: q.byInferenceType } : {}),
    ...(q.byCustomizationType ? { byCustomizationType: q.byCustomizationType } : {}),
  });
  return json({ modelSummaries }, call.requestId);
}

export function handleGetFoundationModel(call: Call, identifier: string): Response {
  return json({ modelDetails: call.state.catalog.getFoundationModel(identifier) }, call.requestId);
}

/** Opaque page token: the offset of the next item. */
function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64");
}

function decodeToken(token: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64").toString("utf8"));
  if (!match?.[1]) throw validationError("Invalid pagination token");
  return Number(match[1]);
}

function parseMaxResults(raw: string | undefined): number {
  if (raw === undefined) return MAX_RESULTS_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS_LIMIT) {
    throw validationError(
      `1 validation error detected: Value '${raw}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_RESULTS_LIMIT}`,
    );
  }
  return n;
}

export function handleListInferenceProfiles(call: Call): Response {
  const q = call.record.query;
  const all = call.state.catalog.listInferenceProfiles(q.type);
  const maxResults = parseMaxResults(q.maxResults);
  const offset = q.nextToken ? decodeToken(q.nextToken) : 0;
  const page = all.slice(offset, offset + maxResults);
  const next = offset + page.length;
  return json(
    {
      inferenceProfileSummaries: page,
      ...(next < all.length ? { nextToken: encodeToken(next) } : {}),
    },
    call.requestId,
  );
}

export function handleGetInferenceProfile(call: Call, identifier: string): Response {
  return json(call.state.catalog.getInferenceProfile(identifier), call.requestId);
}
