export * from './types';
export { evaluateRound } from './checks';
export { initialGateState, nextGate, stepStarted } from './gate';
export { buildQueries, DEFAULT_EXTRA_MATCHERS } from './queries';
