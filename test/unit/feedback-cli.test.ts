import { render, requestOf } from '../../scripts/feedback';
import { ValidationError } from '../../shared/errors';

describe('feedback CLI: commands → API requests', () => {
  it.each([
    [
      'mark',
      { series: 'AWS/EC2/CPU/i=1/Average/60', time: '2026-11-20T11:57:00Z', fp: true, reason: 'deploy' },
      {
        method: 'PUT',
        path: '/api/anomalies/feedback',
        body: {
          series: 'AWS/EC2/CPU/i=1/Average/60',
          ts: '2026-11-20T11:57:00.000Z',
          label: 'false-positive',
          reason: 'deploy',
        },
      },
    ],
    [
      'mark',
      { alert: 'cpu_percent-above-0123456789abcdef-1', confirm: true },
      {
        method: 'PUT',
        path: '/api/alerts/cpu_percent-above-0123456789abcdef-1/feedback',
        body: { label: 'confirmed' },
      },
    ],
    [
      'unmark',
      { series: 's', time: '1795000000000' },
      { method: 'DELETE', path: '/api/anomalies/feedback', query: { series: 's', ts: '1795000000000' } },
    ],
    [
      'history',
      { metric: 'cpu_percent', limit: '5' },
      { method: 'GET', path: '/api/threshold-changes', query: { metric: 'cpu_percent', limit: '5' } },
    ],
    [
      'revert',
      { id: '1795316400000-cpu_percent-7' },
      { method: 'POST', path: '/api/threshold-changes/1795316400000-cpu_percent-7/revert', body: {} },
    ],
    [
      'set',
      { metric: 'cpu_percent', adjustment: '-0.2' },
      { method: 'PUT', path: '/api/thresholds/cpu_percent', body: { adjustment: -0.2 } },
    ],
    [
      'preview',
      { metric: 'cpu_percent', adjustment: '0.3' },
      { method: 'GET', path: '/api/thresholds/cpu_percent/preview', query: { adjustment: '0.3' } },
    ],
    ['tune', {}, { method: 'POST', path: '/api/tuning-runs', body: {} }],
    ['thresholds', {}, { method: 'GET', path: '/api/thresholds' }],
  ])('%s %j', (command, options, request) => {
    expect(requestOf(command, options)).toEqual(request);
  });

  it.each([
    ['mark', { series: 's', time: '2026-11-20T11:57:00Z' }, '--fp | --confirm'],
    ['mark', { series: 's', time: 'later', fp: true }, '--time'],
    ['mark', { alert: 'a', series: 's', fp: true }, '--series/--time | --alert'],
    ['unmark', { series: 's' }, '--time'],
    ['revert', {}, '--id'],
    ['set', { metric: 'cpu_percent', adjustment: 'lots' }, '--adjustment'],
    ['preview', { adjustment: '0.1' }, '--metric'],
    ['frobnicate', {}, 'use one of'],
  ])('%s %j is refused naming %s', (command, options, option) => {
    try {
      requestOf(command, options);
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]).toContain(option);
    }
  });

  it('renders history with its actor, revert link and next cursor', () => {
    const lines = render('history', {
      items: [
        {
          id: '1795316400000-cpu_percent-2',
          at: 1795316400000,
          from: 0.1,
          to: 0,
          rule: 'revert',
          actor: { kind: 'person', name: 'alice' },
          revertOf: '1795316300000-cpu_percent-1',
          reason: 'too blunt',
        },
      ],
      nextCursor: '1795316400000-cpu_percent-2',
    });
    expect(lines[0]).toBe(
      '1795316400000-cpu_percent-2  2026-11-22T03:00:00.000Z  +10% → 0%  revert  by alice  (reverts 1795316300000-cpu_percent-1)  "too blunt"',
    );
    expect(lines[1]).toBe('More: --cursor 1795316400000-cpu_percent-2');
  });
});
