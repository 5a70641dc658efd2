/** The injection token of the process's pino logger, provided by CoreModule. */
export const APP_LOGGER = Symbol('APP_LOGGER');
