import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemView } from '../common/http/problem.view';
import type { AppConfig } from '../config/config';
import { BEARER, completeOperations, handlerFacts } from './operation-answers';
import { WEBHOOK_EVENT_VIEWS, webhookPathItems } from './webhooks';

const DOCS_PATH = 'docs';
const OPENAPI_JSON_PATH = 'docs/openapi.json';

/**
 * The OpenAPI 3.1 document, generated from the code alone: paths, parameters and request schemas
 * from the controllers and their DTOs (src/common/decorators/field.decorator.ts), answers from the
 * view classes their handlers declare, problems and headers from the metadata the guards and
 * interceptors enforce (src/docs/operation-answers.ts), the `webhooks` section from the event views.
 * test/operability/openapi-conformance.e2e-spec.ts checks it against real answers of every operation.
 */
export function buildOpenApiDocument(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const base = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Bulwark API')
    .setDescription(
      'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`; every answer ' +
        'carries `X-Request-Id`. Lists are cursor-paginated (`?limit=&cursor=`, newest first).',
    )
    .setVersion(config.appVersion)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
    .build();
  const document = SwaggerModule.createDocument(
    app,
    { ...base, webhooks: webhookPathItems() },
    { extraModels: [ProblemView, ...WEBHOOK_EVENT_VIEWS] },
  );
  completeOperations(document, handlerFacts(app));
  return document;
}

/**
 * `/docs` (Swagger UI: `@nestjs/swagger` serves its `swagger-ui-dist` through `@fastify/static`, its
 * optional peer on Fastify, which package.json therefore declares) and `/docs/openapi.json`, not
 * authenticated (docs/operations.md, "Operational routes"). The document is built once, on the first
 * request that needs it, so it costs nothing at start.
 */
export function setupOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Bulwark API',
  });
}
