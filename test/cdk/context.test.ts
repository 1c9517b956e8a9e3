import { tunablesFromContext } from '../../lib/context';
import { fastApp } from './stacks';

describe('tunablesFromContext', () => {
  it('is empty without context (the stack defaults apply)', () => {
    expect(tunablesFromContext(fastApp().node)).toEqual({});
  });

  it('parses -c strings and cdk.json JSON values', () => {
    const app = fastApp({
      pushCapPerMinute: '5000',
      notRespondingAfterDays: 3,
      logRetentionDays: '30',
      resyncSchedule: 'cron(0 1 * * ? *)',
      tracing: 'true',
      alarmEmail: 'ops@example.com',
      domainName: '',
    });
    expect(tunablesFromContext(app.node)).toEqual({
      pushCapPerMinute: 5000,
      notRespondingAfterDays: 3,
      logRetentionDays: 30,
      resyncSchedule: 'cron(0 1 * * ? *)',
      tracing: true,
      alarmEmail: 'ops@example.com',
    });
  });

  it('names the key it cannot parse', () => {
    expect(() => tunablesFromContext(fastApp({ pushCapPerMinute: 'lots' }).node)).toThrow(/pushCapPerMinute/);
    expect(() => tunablesFromContext(fastApp({ tracing: 'yes' }).node)).toThrow(/tracing/);
  });
});
