/**
 * Every audit action name, in one place (docs/audit.md, "Actions").
 * Feature modules record entries with these constants, never with string literals.
 */
export const AUDIT_ACTIONS = {
  USER_REGISTERED: 'user.registered',
  /** An admin created by `npm run admin:create` or by the first start in embedded mode. */
  USER_CREATED: 'user.created',
  USER_UPDATED: 'user.updated',
  AUTH_LOGIN: 'auth.login',
  AUTH_LOGIN_FAILED: 'auth.login_failed',
  AUTH_REFRESHED: 'auth.refreshed',
  AUTH_LOGOUT: 'auth.logout',
  /** A spent refresh token was presented again: its whole login was revoked (RFC 9700 §4.14.2). */
  AUTH_REFRESH_TOKEN_REUSED: 'auth.refresh_token_reused',
  PRODUCT_CREATED: 'product.created',
  PRODUCT_UPDATED: 'product.updated',
  ORDER_CREATED: 'order.created',
  ORDER_CANCELLED: 'order.cancelled',
  WEBHOOK_CREATED: 'webhook.created',
  WEBHOOK_DELETED: 'webhook.deleted',
  WEBHOOK_DELIVERY_RETRIED: 'webhook.delivery_retried',
} as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** Entity names used in audit entries. */
export const AUDIT_ENTITIES = {
  USER: 'user',
  PRODUCT: 'product',
  ORDER: 'order',
  WEBHOOK: 'webhook',
  WEBHOOK_DELIVERY: 'webhook_delivery',
} as const;
