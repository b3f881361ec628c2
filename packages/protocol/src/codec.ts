/**
 * Versioned wire codec. Every message travels as JSON `{ "type": <name>, "v": <version>, "data": <payload> }`.
 * `decode` never throws: a consumer loop gets a typed error it can count, log and move past.
 */
import type { z } from "zod";
import { ProtocolError } from "./errors";

export interface MessageDef<T extends z.ZodType = z.ZodType> {
  readonly type: string;
  /** Current version, written by encode. */
  readonly version: number;
  readonly schema: T;
  /** Upgraders from older versions: version → function returning the payload one version newer. */
  readonly upgrades?: Readonly<Record<number, (old: unknown) => unknown>>;
}

export function defineMessage<T extends z.ZodType>(def: MessageDef<T>): MessageDef<T> {
  return def;
}

export type DecodeResult<T> = { ok: true; value: T; version: number } | { ok: false; error: ProtocolError };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encode<T extends z.ZodType>(def: MessageDef<T>, value: z.input<T>): Uint8Array {
  const parsed = def.schema.parse(value);
  return encoder.encode(JSON.stringify({ type: def.type, v: def.version, data: parsed }));
}

/** Decodes and validates bytes (or a string) against a message definition. */
export function decode<T extends z.ZodType>(
  def: MessageDef<T>,
  input: Uint8Array | string,
): DecodeResult<z.output<T>> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof input === "string" ? input : decoder.decode(input));
  } catch (cause) {
    return fail("MALFORMED_JSON", `${def.type}: message is not valid UTF-8 JSON`, cause);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail("MALFORMED_JSON", `${def.type}: message must be a JSON object with type, v and data`);
  }
  const envelope = raw as { type?: unknown; v?: unknown; data?: unknown };
  if (envelope.type !== def.type) {
    return fail("WRONG_MESSAGE_TYPE", `expected a ${def.type} message, got ${JSON.stringify(envelope.type)}`);
  }
  if (typeof envelope.v !== "number" || !Number.isInteger(envelope.v)) {
    return fail("UNSUPPORTED_VERSION", `${def.type}: missing integer version "v"`);
  }
  if (envelope.v > def.version) {
    return fail(
      "UNSUPPORTED_VERSION",
      `${def.type}: version ${envelope.v} is newer than this build understands (${def.version}); upgrade the receiver`,
    );
  }
  let data = envelope.data;
  for (let v = envelope.v; v < def.version; v++) {
    const up = def.upgrades?.[v];
    if (!up) {
      return fail("UNSUPPORTED_VERSION", `${def.type}: no upgrade path from version ${v} to ${def.version}`);
    }
    data = up(data);
  }
  const result = def.schema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return fail("SCHEMA_MISMATCH", `${def.type} v${envelope.v} is invalid: ${issues}`, result.error);
  }
  return { ok: true, value: result.data, version: envelope.v };
}

function fail(
  code: ProtocolError["code"],
  message: string,
  cause?: unknown,
): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message, { cause }) };
}
