import { startService } from '../helpers/service';

describe('invalid configuration (system)', () => {
  it('stops at start with a non-zero exit code and one line per bad variable', async () => {
    const service = await startService({
      env: { RELEASE_COLOR: 'red', DB_POOL_MAX: 'many', NODE_ENV: 'production', JWT_SECRET: undefined },
      waitFor: false,
    });
    const code = await service.exited;
    expect(code).not.toBe(0);
    const lines = service.output().trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^configuration error: RELEASE_COLOR: must be one of blue, green/),
        expect.stringMatching(/^configuration error: DB_POOL_MAX: must be a whole number/),
        expect.stringMatching(/^configuration error: JWT_SECRET: required when NODE_ENV=production/),
      ]),
    );
    expect(lines).toHaveLength(3);
  });
});
