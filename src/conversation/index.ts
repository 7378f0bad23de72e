/**
 * The conversation model the gateway owns: requests (system, turns, parts,
 * tools, choices, limits, native controls), results and neutral stream
 * events. Surfaces decode into it and encode from it; the Converse core
 * (src/converse/) maps it to and from Bedrock. It imports nothing but types.
 *
 * @module
 */
export type * from "./events";
export type * from "./parts";
export type * from "./request";
export { emptyConversation } from "./request";
