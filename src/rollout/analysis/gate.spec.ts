import { initialGateState, nextGate, stepStarted } from './gate';
import type { CheckStatus, GateDecision, GatePolicy, GateState, RoundResult } from './types';

const policy: GatePolicy = { failureLimit: 2, providerErrorLimit: 3, maxInconclusive: 4 };
const round = (status: CheckStatus, providerError = false): RoundResult => ({
  status,
  checks: [],
  providerError,
});
const P = round('pass');
const F = round('fail');
const I = round('inconclusive');
const E = round('inconclusive', true); // the provider did not answer

function play(rounds: RoundResult[], p = policy, start: GateState = initialGateState): GateDecision[] {
  let state = start;
  return rounds.map((r) => {
    const outcome = nextGate(state, r, p);
    state = outcome.state;
    return outcome.decision;
  });
}

describe('nextGate', () => {
  it.each([
    ['a passing round advances', [P], ['advance']],
    ['a failing round waits and counts', [F], ['wait']],
    ['failures reaching the limit roll back', [F, F], ['wait', 'rollback']],
    ['failures count over the whole run, not per step', [F, P, F], ['wait', 'advance', 'rollback']],
    ['inconclusive waits, never advances', [I, I, I], ['wait', 'wait', 'wait']],
    ['inconclusive then pass advances', [I, I, P], ['wait', 'wait', 'advance']],
    [
      'maxInconclusive in a row counts as one failure',
      [I, I, I, I, I, I, I, I],
      ['wait', 'wait', 'wait', 'wait', 'wait', 'wait', 'wait', 'rollback'],
    ],
    ['provider errors wait a little first', [E, E], ['wait', 'wait']],
    [
      'provider errors in a row then count as failures: Prometheus down never promotes',
      [E, E, E, E],
      ['wait', 'wait', 'wait', 'rollback'],
    ],
    [
      'an answered round resets the provider error streak',
      [E, E, P, E, E],
      ['wait', 'wait', 'advance', 'wait', 'wait'],
    ],
    ['a provider error mixed with a failure counts right away', [round('fail', true)], ['wait']],
  ] as const)('%s', (_name, rounds, decisions) => {
    expect(play([...rounds])).toEqual(decisions);
  });

  it('a failure limit of 1 rolls back on the first failed round', () => {
    expect(play([F], { ...policy, failureLimit: 1 })).toEqual(['rollback']);
  });

  it('keeps the failed-check count and says why', () => {
    const first = nextGate(initialGateState, F, policy);
    expect(first).toMatchObject({ counted: true, state: { failedChecks: 1 } });
    const second = nextGate(first.state, F, policy);
    expect(second.reason).toMatch(/failed checks 2\/2: rolling back/);
  });

  it('a new step starts a new inconclusive streak but keeps failures', () => {
    const state: GateState = { failedChecks: 1, providerErrorStreak: 2, inconclusiveStreak: 3 };
    expect(stepStarted(state)).toEqual({ failedChecks: 1, providerErrorStreak: 2, inconclusiveStreak: 0 });
  });
});
