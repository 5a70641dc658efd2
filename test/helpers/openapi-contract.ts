import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app';

type Json = Record<string, unknown>;
type Schema = Json;
interface Header {
  required?: boolean;
  schema?: Schema;
}
interface Parameter extends Header {
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
}
interface Response {
  description: string;
  headers?: Record<string, Header | { $ref: string }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId: string;
  summary?: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
  security?: unknown[];
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    headers: Record<string, Header>;
    parameters: Record<string, Parameter>;
  };
}

/** Headers the API relies on: whenever an answer carries one, the document must describe it there. */
const RELIED_ON_HEADERS = ['x-request-id', 'location', 'etag', 'retry-after', 'idempotent-replayed'];
const DOC_ID = 'https://bulwark.test/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

const pointer = (...parts: string[]): string =>
  `${DOC_ID}#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The document with every named object schema closed (`additionalProperties: false` where it says
 * nothing), for checking only: an answer field the document does not list fails, instead of passing
 * unnoticed (the drift that hand-copied schemas had).
 */
function closed(doc: OpenApiDocument): OpenApiDocument {
  const copy = structuredClone(doc);
  for (const schema of Object.values(copy.components.schemas)) {
    if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  }
  return copy;
}

interface Route {
  path: string;
  method: string;
  op: Operation;
  regex: RegExp;
  params: number;
}

/**
 * Checks real answers against the OpenAPI document the application serves: every answer must be a
 * documented status of its operation, its body must validate against the documented schema (with
 * ajv's JSON Schema 2020-12 build, the dialect of OpenAPI 3.1), and its headers against the documented
 * headers. It records which operations were exercised, with which statuses.
 */
export class OpenApiContract {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();
  /** operationId → statuses seen (webhooks: event type → [200] once a delivery validated). */
  readonly exercised = new Map<string, Set<number>>();

  constructor(
    readonly doc: OpenApiDocument,
    private readonly t: TestApp,
  ) {
    this.ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...closed(doc), $id: DOC_ID });
    this.routes = Object.entries(doc.paths)
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => HTTP_METHODS.includes(method))
          .map(([method, op]) => ({
            path,
            method,
            op,
            params: (path.match(/\{/g) ?? []).length,
            regex: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
          })),
      )
      // `/v1/users/me` before `/v1/users/{id}`: a literal segment wins, as in the router.
      .sort((a, b) => a.params - b.params);
  }

  operations(): Array<{ name: string; method: string; path: string; op: Operation }> {
    return this.routes.map((r) => ({ name: r.op.operationId, method: r.method, path: r.path, op: r.op }));
  }

  /**
   * Sends a request through the application and checks its answer against the document; when the
   * answer is a success, the request itself must have been valid by the document too (its query
   * parameters and JSON body), or the document refuses what the API accepts.
   */
  async request(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse> {
    const res = await this.t.inject(options);
    const route = this.find(options.method, options.url);
    this.check(route, res);
    if (res.statusCode < 300) this.checkRequest(route, options);
    return res;
  }

  private find(method: string, url: string): Route {
    const path = url.split('?')[0];
    const route = this.routes.find((r) => r.method === method.toLowerCase() && r.regex.test(path));
    if (!route) throw new Error(`${method} ${path} is not an operation of the document`);
    return route;
  }

  private checkRequest(route: Route, options: InjectOptions & { url: string }): void {
    const { op, path, method } = route;
    const query = new URL(options.url, 'http://localhost').searchParams;
    const parameters = (op.parameters ?? []).filter((p): p is Parameter => !('$ref' in p));
    for (const name of new Set(query.keys())) {
      const parameter = parameters.find((p) => p.in === 'query' && p.name === name);
      if (!parameter) throw new Error(`${op.operationId}: accepted the undocumented query parameter ${name}`);
      const raw = query.get(name) ?? '';
      const value = parameter.schema?.type === 'integer' ? Number(raw) : raw;
      const index = (op.parameters ?? []).indexOf(parameter);
      const validate = this.validator(pointer('paths', path, method, 'parameters', String(index), 'schema'));
      if (!validate(value))
        throw new Error(`${op.operationId}: accepted ?${name}=${raw}, which the document refuses`);
    }
    const body = jsonPayload(options);
    if (op.requestBody && body !== undefined) {
      const validate = this.validator(
        pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema'),
      );
      if (!validate(body))
        throw new Error(
          `${op.operationId}: accepted a body the document refuses: ${describe(validate.errors)}`,
        );
    }
  }

  private check(route: Route, res: LightMyRequestResponse): void {
    const { path, method, op } = route;
    const where = `${op.operationId} ${res.statusCode}`;
    const response = op.responses[String(res.statusCode)];
    if (!response) throw new Error(`${where}: status not documented (body ${res.body})`);
    const base = ['paths', path, method, 'responses', String(res.statusCode)];
    this.checkHeaders(where, response, res.headers, base);
    const documentedTypes = Object.keys(response.content ?? {});
    if (documentedTypes.length === 0) {
      if (res.body !== '') throw new Error(`${where}: a body where none is documented: ${res.body}`);
    } else {
      const type = documentedTypes.find(
        (t) => mediaType(t) === mediaType(res.headers['content-type'] as string),
      );
      if (!type)
        throw new Error(`${where}: Content-Type ${String(res.headers['content-type'])} not documented`);
      const body: unknown = mediaType(type) === 'text/plain' ? res.body : res.json();
      const validate = this.validator(pointer(...base, 'content', type, 'schema'));
      if (!validate(body))
        throw new Error(`${where}: body does not match the document: ${describe(validate.errors)}`);
    }
    if (!this.exercised.has(op.operationId)) this.exercised.set(op.operationId, new Set());
    this.exercised.get(op.operationId)?.add(res.statusCode);
  }

  /** Checks a webhook the application sent (a receiver's view) against the document's `webhooks`. */
  checkWebhook(type: string, body: string, headers: Record<string, string>): void {
    const op = this.doc.webhooks[type]?.post;
    if (!op) throw new Error(`webhook ${type} is not documented`);
    for (const raw of op.parameters ?? []) {
      const parameter = raw as Parameter;
      const value = headers[parameter.name.toLowerCase()];
      if (value === undefined) {
        if (parameter.required) throw new Error(`webhook ${type}: header ${parameter.name} missing`);
        continue;
      }
      const validate = this.ajv.compile(parameter.schema ?? {});
      if (!validate(value))
        throw new Error(`webhook ${type} header ${parameter.name}: ${describe(validate.errors)}`);
    }
    const validate = this.validator(
      pointer('webhooks', type, 'post', 'requestBody', 'content', 'application/json', 'schema'),
    );
    if (!validate(JSON.parse(body))) throw new Error(`webhook ${type} body: ${describe(validate.errors)}`);
    this.exercised.set(`webhook ${type}`, new Set([200]));
  }

  private checkHeaders(
    where: string,
    response: Response,
    actual: LightMyRequestResponse['headers'],
    base: string[],
  ): void {
    const documented = new Map(
      Object.entries(response.headers ?? {}).map(([name, header]) => [name.toLowerCase(), { name, header }]),
    );
    for (const name of RELIED_ON_HEADERS) {
      if (actual[name] !== undefined && !documented.has(name))
        throw new Error(`${where}: answers ${name} but does not document it`);
    }
    for (const [lower, { name, header }] of documented) {
      const resolved = this.resolveHeader(header);
      const value = actual[lower];
      if (value === undefined) {
        if (resolved.required) throw new Error(`${where}: documented header ${name} missing`);
        continue;
      }
      const validate = this.validator(
        '$ref' in header ? `${DOC_ID}${header.$ref}/schema` : pointer(...base, 'headers', name, 'schema'),
      );
      if (!validate(String(value)))
        throw new Error(`${where}: header ${name}=${String(value)}: ${describe(validate.errors)}`);
    }
  }

  private resolveHeader(header: Header | { $ref: string }): Header {
    if (!('$ref' in header)) return header;
    const name = header.$ref.split('/').pop() ?? '';
    const resolved = this.doc.components.headers[name];
    if (!resolved) throw new Error(`dangling header reference ${header.$ref}`);
    return resolved;
  }

  private validator(ref: string): ValidateFunction {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }
}

/** The JSON body of a request: an object payload, or JSON text sent as `application/json`. */
function jsonPayload(options: InjectOptions): unknown {
  if (typeof options.payload === 'object' && options.payload !== null) return options.payload;
  const type = (options.headers as Record<string, unknown> | undefined)?.['content-type'];
  if (typeof options.payload !== 'string' || mediaType(String(type)) !== 'application/json') return undefined;
  try {
    return JSON.parse(options.payload) as unknown;
  } catch {
    return undefined;
  }
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return JSON.stringify(
    (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`),
  );
}
