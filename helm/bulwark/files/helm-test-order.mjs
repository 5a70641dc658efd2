// helm test: a real order through the stable Service. Runs in the app image with Node's fetch.
// Exits non-zero, with the failing call and its answer, on the first unexpected status.
const base = process.env.BASE_URL;
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

async function call(method, path, body, token, expected) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
  }
  console.log(`${method} ${path} -> ${res.status}`);
  return text ? JSON.parse(text) : {};
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
  const admin = await call('POST', '/v1/auth/login', { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD }, null, 200);
  const product = await call('POST', '/v1/products', { sku: `HELM-TEST-${run}`, name: 'helm test product', priceCents: 1234, stock: 5 }, admin.accessToken, 201);
  const email = `helm-test-${run}@example.com`;
  const password = `pw-${run}-${Math.random().toString(36).slice(2)}`;
  await call('POST', '/v1/auth/register', { email, password, name: 'Helm Test' }, null, 201);
  const user = await call('POST', '/v1/auth/login', { email, password }, null, 200);
  const order = await call('POST', '/v1/orders', { items: [{ productId: product.id, quantity: 2 }] }, user.accessToken, 201);
  if (order.status !== 'confirmed' || order.totalCents !== 2468) {
    throw new Error(`unexpected order ${JSON.stringify(order)}`);
  }
  console.log(`order ${order.id} confirmed, total ${order.totalCents} cents`);
} catch (err) {
  console.error(`helm test failed: ${err.message}`);
  process.exit(1);
}
