/** Password length bounds (docs/identity.md: 10–128 characters), for DTOs and the admin CLI alike. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
