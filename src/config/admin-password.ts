/** `ADMIN_PASSWORD` for `npm run admin:create` (read here: src/config/ is the only reader of process.env). */
export function adminPasswordFromEnv(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const value = env.ADMIN_PASSWORD;
  return value === undefined || value === '' ? undefined : value;
}
