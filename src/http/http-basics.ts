/* The HTTP API's small shared pieces: an error that carries its status and field, JSON out, JSON in (bounded). */
import type {IncomingMessage, ServerResponse} from "node:http";

/** Largest request body accepted. */
const BODY_BYTES_MAX = 64 * 1024;

/** A request refused with `status`; `field` names what was wrong. */
export class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/** HTTP status for an agent error, by its stable `code`. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  ERR_INVALID_CONFIG: 400,
  ERR_JOIN_FAILED: 502,
  ERR_AGENT_STATE: 409,
};

/** An agent error with a known `code` as the HttpError for it (naming its field); anything else unchanged. */
export function asHttpError(error: unknown): unknown {
  const {code, field} = error as {code?: unknown; field?: unknown};
  const status = typeof code === "string" ? STATUS_OF_CODE[code] : undefined;
  if (status === undefined) return error;
  return new HttpError(status, (error as Error).message, typeof field === "string" ? field : undefined);
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {"content-type": "application/json", "content-length": Buffer.byteLength(text)});
  res.end(text);
}

/** Reads the request body as a JSON object (at most BODY_BYTES_MAX bytes). Throws HttpError 400. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > BODY_BYTES_MAX)
      throw new HttpError(400, `invalid body; must be at most ${BODY_BYTES_MAX} bytes`, "body");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid body; must be a JSON object", "body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid body; must be a JSON object", "body");
  }
  return value;
}
