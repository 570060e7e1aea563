import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGraphQLHttpError } from './send-json';

class BodyTooLargeError extends Error {}

/** The body as text; rejects with a BodyTooLargeError as soon as it is declared or sent larger than `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A GraphQL POST's body: parsed when its content type is JSON, else the text as sent (Apollo
 * Server judges it). Answers 413 past `maxBodyBytes`, without reading the rest, and 400 when the
 * JSON does not parse; `answered` then.
 */
export async function readGraphQLBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<{ body: unknown } | 'answered'> {
  let raw: string;
  try {
    raw = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      // The unread rest of the body is still on the socket: it cannot carry another request.
      res.setHeader('connection', 'close');
      sendGraphQLHttpError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes.`);
      return 'answered';
    }
    throw error;
  }
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.includes('json')) return { body: raw };
  try {
    return { body: raw === '' ? undefined : JSON.parse(raw) };
  } catch {
    sendGraphQLHttpError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
    return 'answered';
  }
}
