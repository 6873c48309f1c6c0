/**
 * Kiro (AWS CodeWhisperer) protocol: what the server and the Kiro provider need. Kiro is an
 * upstream only (no client speaks it), so there is no ProtocolAdapter: requests are rendered,
 * answers parsed, and errors read, nothing more.
 */
export { renderKiroRequest } from './request.ts';
export { kiroModelId } from './model-id.ts';
export { kiroToolName, kiroToolNames, KIRO_TOOL_NAME_MAX } from './tool-names.ts';
export { KIRO_TOOL_DESCRIPTION_MAX_BYTES } from './render-tools.ts';
export { PLACEHOLDER as KIRO_PLACEHOLDER } from './conversation.ts';
export { createKiroStreamParser } from './stream.ts';
export { parseKiroResponse } from './response.ts';
export { kiroHttpError, kiroErrorStatus, kiroStreamErrorEvent, normalizeKiroErrorType } from './errors.ts';
export { createEventStreamFrameSplitter, EventStreamFrameError } from './frame-splitter.ts';
export { decodeEventStreamFrame } from './frame-decoder.ts';
export type { EventStreamFrameSplitter, EventStreamSplit, EventStreamFrameErrorKind } from './frame-splitter.ts';
export type { DecodedFrame } from './frame-decoder.ts';
export type { KiroRequestBody, KiroRequestOptions, KiroStreamParserOptions } from './types.ts';

/** The response's content type; anything else on a 200 is not a Kiro stream. */
export const KIRO_CONTENT_TYPE = 'application/vnd.amazon.eventstream';
