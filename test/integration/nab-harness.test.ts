// The NAB harness end to end on a tiny NAB-layout corpus it has never seen: options, outputs, summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run bench:nab', () => {
  it('scores a custom corpus (--data, --windows), writes NAB results (--out) and a summary (--json)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nab-'));
    try {
      mkdirSync(path.join(dir, 'data', 'synthetic'), { recursive: true });
      const rows = ['timestamp,value'];
      const ts = (i: number) =>
        new Date(Date.UTC(2020, 0, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
      for (let i = 0; i < 400; i++) rows.push(`${ts(i)},${i === 300 ? 90 : 10 + (i % 3)}`);
      writeFileSync(path.join(dir, 'data', 'synthetic', 'spike.csv'), `${rows.join('\n')}\n`);
      writeFileSync(
        path.join(dir, 'windows.json'),
        JSON.stringify({ 'synthetic/spike.csv': [[`${ts(290)}.000000`, `${ts(310)}.000000`]] }),
      );
      const out = spawnSync(
        'npx',
        [
          'tsx',
          'bench/nab/run.ts',
          '--data',
          path.join(dir, 'data'),
          '--windows',
          path.join(dir, 'windows.json'),
          '--out',
          path.join(dir, 'out'),
          '--json',
          path.join(dir, 'summary.json'),
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(out.status).toBe(0);
      expect(out.stdout).toMatch(/NAB \(1 files, 400 rows, 1 windows\)/);
      const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ rows: 400, files: 1, windows: 1, standard: { windowsHit: 1 } });
      expect(summary.standard.score).toBeGreaterThan(50);
      const results = path.join(dir, 'out', 'driftSentinel', 'synthetic', 'driftSentinel_spike.csv');
      expect(existsSync(results)).toBe(true);
      const lines = readFileSync(results, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
      expect(lines).toHaveLength(401);
      const spikeRow = lines[301]!.split(',');
      expect(Number(spikeRow[2])).toBeGreaterThan(0.5);
      expect(spikeRow[3]).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
