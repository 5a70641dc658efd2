// The backup CronJob (backup.enabled, helm/bulwark/templates/backup-cronjob.yaml): rendered only when
// asked, refused without a volume, its pods fenced by a NetworkPolicy (DNS and the database out,
// nothing in), and its script run for real — with this machine's pg_dump on a real PostgreSQL,
// the volume a temporary directory — writing archives that `db:restore` restores, keeping the newest.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { DumpablePostgres, dumpablePostgres } from '../helpers/dumpable-postgres';
import { DIST_DIR } from '../helpers/service';
import { FULLNAME, K8sObject, find, maybe, render, renderRaw } from '../helpers/deploy/render';
import { CHART } from '../helpers/deploy/tools';

const BACKUP_VALUES = join(CHART, 'ci', 'backup-values.yaml');

describe('chart: backup CronJob', () => {
  const objects = render({ valuesFiles: [BACKUP_VALUES] });
  const cron = find(objects, 'CronJob', `${FULLNAME}-backup`);
  const pod = cron.spec.jobTemplate.spec.template;
  const [container] = pod.spec.containers as K8sObject[];

  it('is off by default: no CronJob, no policy for it', () => {
    const defaults = render();
    expect(maybe(defaults, 'CronJob', `${FULLNAME}-backup`)).toBeUndefined();
    expect(maybe(defaults, 'NetworkPolicy', `${FULLNAME}-backup`)).toBeUndefined();
  });

  it('refuses backup.enabled without a PersistentVolumeClaim', () => {
    expect(() => renderRaw({ set: { 'backup.enabled': true } })).toThrow(/backup\/persistentVolumeClaim/);
  });

  it('runs one backup at a time into the named claim, with the database URL from the Secret', () => {
    expect(cron.spec).toMatchObject({
      schedule: '17 3 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
    });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.metadata.labels['app.kubernetes.io/component']).toBe('backup');
    expect(pod.spec.volumes).toContainEqual({
      name: 'backups',
      persistentVolumeClaim: { claimName: 'bulwark-backups' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups' });
    expect(container.image).toBe('postgres:18.1-alpine');
    const env = Object.fromEntries((container.env as K8sObject[]).map((e) => [e.name, e]));
    expect(env.DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: FULLNAME, key: 'DATABASE_URL' });
    expect(env.DATABASE_URL.value).toBeUndefined();
    expect(env.KEEP.value).toBe('14');
  });

  it('fences its pods: nothing in; DNS and the database out', () => {
    const np = find(objects, 'NetworkPolicy', `${FULLNAME}-backup`);
    expect(np.spec.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'backup' });
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toBeUndefined();
    const egress = JSON.stringify(np.spec.egress);
    expect(egress).toContain('"port":53');
    expect(egress).toContain('"port":5432');
    expect(np.spec.egress).toHaveLength(2);
  });

  describe('its script, run with this machine’s pg_dump', () => {
    let pg: DumpablePostgres;
    let source: TestDatabase;
    let target: TestDatabase;
    const volume = mkdtempSync(join(tmpdir(), 'bulwark-backups-'));

    beforeAll(async () => {
      pg = await dumpablePostgres();
      console.log(`backup CronJob script on ${pg.origin}`);
      source = await createTestDatabase('bulwark_cron', pg.adminUrl);
      target = await createTestDatabase('bulwark_cron_restore', pg.adminUrl);
      const client = new Client({ connectionString: source.url });
      client.on('error', () => undefined);
      await client.connect();
      await client.query('CREATE TABLE kept (id int PRIMARY KEY, note text)');
      await client.query("INSERT INTO kept SELECT g, 'row ' || g FROM generate_series(1, 500) g");
      await client.end();
    });

    afterAll(async () => {
      await source?.drop();
      await target?.drop();
      await pg?.stop();
      rmSync(volume, { recursive: true, force: true });
    });

    it('writes complete archives under a time-stamped name, keeps the newest KEEP, and they restore', async () => {
      const script = (container.args as string[])[0].replaceAll('/backups', volume);
      const runOnce = (keep: string) =>
        spawnSync('/bin/sh', ['-ec', script], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, DATABASE_URL: source.url, KEEP: keep, HOME: '/tmp' },
        });
      const written: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        // The name is the UTC time to the second: start each run in a new second.
        const second = Math.floor(Date.now() / 1000);
        while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 50));
        const res = runOnce('2');
        expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
        written.push(/backup written: (\S+)/.exec(res.stdout)![1]);
      }
      const files = readdirSync(volume).sort();
      expect(files).toHaveLength(2);
      expect(files.every((f) => /^bulwark-\d{8}T\d{6}Z\.dump$/.test(f))).toBe(true);
      expect(existsSync(written[0])).toBe(false);
      expect(files.map((f) => join(volume, f))).toEqual(written.slice(1));

      const restore = spawnSync(
        process.execPath,
        [join(DIST_DIR, 'database', 'backup', 'restore.js'), '--from', written[2]],
        { encoding: 'utf8', env: { ...process.env, DATABASE_URL: target.url } },
      );
      expect({ status: restore.status, stderr: restore.stderr }).toEqual({ status: 0, stderr: '' });
      const client = new Client({ connectionString: target.url });
      client.on('error', () => undefined);
      await client.connect();
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM kept');
      await client.end();
      expect(Number(rows[0].n)).toBe(500);
    });
  });
});
