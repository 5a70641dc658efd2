// helm test (default): read-only checks through the stable Service. Only GETs, no sign-in: nothing is
// written to the database, so it is safe to run against production at any time. Runs in the app
// image with Node's fetch; exits non-zero, naming the failed check, on the first surprise.
const base = process.env.BASE_URL;
const versions = { blue: process.env.BLUE_VERSION, green: process.env.GREEN_VERSION };

async function get(path, expected) {
  const res = await fetch(base + path);
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(`GET ${path}: expected ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
  }
  console.log(`GET ${path} -> ${res.status}`);
  const json = /json/.test(res.headers.get('content-type') ?? '');
  return { res, body: json && text ? JSON.parse(text) : undefined, text };
}

async function waitReady() {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not reachable yet
    }
    if (Date.now() > until) throw new Error(`${base}/health/ready did not answer 200 within 60 s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

try {
  await waitReady();
  const live = (await get('/health/live', 200)).body;
  const { color, version } = live?.info?.app ?? {};
  if (!(color in versions) || versions[color] !== version) {
    throw new Error(`GET /health/live: the ${color} pod answered version ${version}, the release says ${versions[color]}`);
  }
  console.log(`the ${color} colour answers with version ${version}, as the release says`);
  const refused = await get('/v1/products', 401);
  if (!refused.res.headers.get('content-type')?.startsWith('application/problem+json') || refused.body.code !== 'UNAUTHENTICATED') {
    throw new Error(`GET /v1/products without a token: expected an UNAUTHENTICATED problem, got ${refused.text.slice(0, 300)}`);
  }
  const openapi = (await get('/docs/openapi.json', 200)).body;
  if (typeof openapi?.openapi !== 'string' || !openapi.paths?.['/v1/orders']) {
    throw new Error('GET /docs/openapi.json: not the OpenAPI document of the API');
  }
  const metrics = (await get('/metrics', 200)).text;
  if (!metrics.includes('http_requests_total')) throw new Error('GET /metrics: no http_requests_total');
  console.log('read-only checks passed');
} catch (err) {
  console.error(`helm test failed: ${err.message}`);
  process.exit(1);
}
