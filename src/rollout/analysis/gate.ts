import type { GateOutcome, GatePolicy, GateState, RoundResult } from './types';

// The failed-check counter of one rollout, as a reducer: (state, round) -> (state, decision).
// - a failed round counts once towards the failure limit (Flagger's failedChecks);
// - a round with provider errors waits, until `providerErrorLimit` of them in a row: from then on
//   each such round counts as failed, so a dead Prometheus ends in a rollback, never a promotion;
// - an inconclusive round waits; `maxInconclusive` of them in a row at one step count as one
//   failure, so a canary that never gets traffic cannot hold a rollout open forever;
// - a passing round advances to the next step.

export const initialGateState: GateState = { failedChecks: 0, providerErrorStreak: 0, inconclusiveStreak: 0 };

export function stepStarted(state: GateState): GateState {
  return { ...state, inconclusiveStreak: 0 };
}

export function nextGate(state: GateState, round: RoundResult, policy: GatePolicy): GateOutcome {
  const providerErrorStreak = round.providerError ? state.providerErrorStreak + 1 : 0;
  let failedChecks = state.failedChecks;
  let inconclusiveStreak = 0;
  let counted = false;
  let reason: string;

  if (round.status === 'fail') {
    counted = true;
    reason = 'a check failed';
  } else if (round.providerError && providerErrorStreak >= policy.providerErrorLimit) {
    counted = true;
    reason = `metrics provider failed ${providerErrorStreak} rounds in a row (limit ${policy.providerErrorLimit})`;
  } else if (round.status === 'inconclusive') {
    inconclusiveStreak = state.inconclusiveStreak + 1;
    if (inconclusiveStreak >= policy.maxInconclusive) {
      counted = true;
      inconclusiveStreak = 0;
      reason = `inconclusive ${policy.maxInconclusive} rounds in a row at this step`;
    } else {
      reason = round.providerError
        ? `metrics provider error (${providerErrorStreak} in a row, limit ${policy.providerErrorLimit}): waiting`
        : `inconclusive (${inconclusiveStreak} in a row, limit ${policy.maxInconclusive}): waiting`;
    }
  } else {
    reason = 'all checks passed';
  }

  if (counted) failedChecks += 1;
  const next: GateState = { failedChecks, providerErrorStreak, inconclusiveStreak };
  if (failedChecks >= policy.failureLimit) {
    return {
      state: next,
      decision: 'rollback',
      counted,
      reason: `${reason}; failed checks ${failedChecks}/${policy.failureLimit}: rolling back`,
    };
  }
  if (counted)
    return {
      state: next,
      decision: 'wait',
      counted,
      reason: `${reason}; failed checks ${failedChecks}/${policy.failureLimit}`,
    };
  if (round.status === 'pass') return { state: next, decision: 'advance', counted, reason };
  return { state: next, decision: 'wait', counted, reason };
}
