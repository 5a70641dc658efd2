import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './url-guard';

export interface SendResult {
  statusCode: number;
}

/** The receiver could not be reached or did not answer in time (no status code). */
export class SendFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SendFailure';
  }
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one signed event. The socket connects to `target`, the address the URL guard checked, never
 * to a fresh DNS answer (the custom `lookup`); TLS still verifies the certificate for the URL's host.
 * The whole exchange is bounded by `timeoutMs`; the answer's body is read (capped) and dropped.
 * No redirects are followed: a 3xx is not a 2xx, so it is a failed attempt.
 */
export function postWebhook(
  url: URL,
  target: ResolvedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SendResult> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = signal ? AbortSignal.any([timeout, signal]) : timeout;

  return new Promise<SendResult>((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        lookup,
        signal: abort,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Bulwark-Webhooks/1',
        },
      },
      (res: IncomingMessage) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0 }));
        res.on('close', () => resolve({ statusCode: res.statusCode ?? 0 }));
        res.on('error', (error) =>
          reject(new SendFailure(`response failed: ${error.message}`, { cause: error })),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = timeout.aborted
        ? `timed out after ${timeoutMs} ms`
        : signal?.aborted
          ? 'abandoned at shutdown'
          : (error.code ?? error.message);
      reject(new SendFailure(reason, { cause: error }));
    });
    req.end(body);
  });
}
