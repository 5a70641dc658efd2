/** The caller, as the authentication guard leaves it on `request.user`. */
export interface AuthenticatedUser {
  id: string;
  role: 'user' | 'admin';
  /** The login (session) the access token belongs to. */
  sessionId: string;
}

export function userOf(request: object): AuthenticatedUser | undefined {
  return (request as { user?: AuthenticatedUser }).user;
}
