/** Why a login (session) ended, as stored in `sessions.revoked_reason`. */
export const SESSION_REVOKED_REASONS = {
  LOGOUT: 'logout',
  REFRESH_TOKEN_REUSED: 'refresh_token_reused',
  PASSWORD_CHANGED: 'password_changed',
  USER_DISABLED: 'user_disabled',
} as const;
export type SessionRevokedReason = (typeof SESSION_REVOKED_REASONS)[keyof typeof SESSION_REVOKED_REASONS];
