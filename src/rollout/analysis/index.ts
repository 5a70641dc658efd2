export * from './types';
export { evaluateRound, usable } from './checks';
export { initialGateState, nextGate, stepStarted } from './gate';
export { buildQueries, DEFAULT_EXTRA_MATCHERS } from './queries';
export type { QueryOptions } from './queries';
