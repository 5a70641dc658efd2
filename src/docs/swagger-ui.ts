import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The Swagger UI files served under /docs (from `swagger-ui-dist`, read once, kept in memory). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

function page(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Bulwark API</title>
  <link rel="stylesheet" href="${base}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script src="${base}/swagger-ui-standalone-preset.js"></script>
  <script src="${base}/swagger-ui-init.js"></script>
</body>
</html>
`;
}

/**
 * The OpenAPI UI at `/docs`. Served by four small routes rather than through SwaggerModule's UI,
 * which needs `@fastify/static` (whose ESM-only dependency the test runner cannot load on Node 20);
 * the init script is a file, not inline, so helmet's default Content-Security-Policy allows it.
 */
export function installSwaggerUi(fastify: FastifyInstance, docsPath: string, jsonPath: string): void {
  const base = `/${docsPath}`;
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(join(dir, name)) }]),
  );
  const html = page(base);
  const init = `window.onload = function () {
  window.ui = SwaggerUIBundle({ url: '/${jsonPath}', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
};
`;
  fastify.get(base, (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get(`${base}/swagger-ui-init.js`, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(init),
  );
  for (const [name, file] of files) {
    fastify.get(`${base}/${name}`, (_request, reply) =>
      reply.header('cache-control', 'public, max-age=86400').type(file.type).send(file.body),
    );
  }
}
