/**
 * The chat request straight to Converse input (decode, then every pass):
 * what the route does between validation and the call, for tests and tools
 * that start from a chat request.
 *
 * @module
 */
import type { TranslateContext } from "../../converse/input";
import { type Translation, toConverseInput } from "../../converse/translate";
import { decodeChatRequest } from "./decode";
import type { ChatRequest } from "./schema";

export function toConverse(req: ChatRequest, ctx: TranslateContext): Translation {
  return toConverseInput(decodeChatRequest(req), ctx);
}
