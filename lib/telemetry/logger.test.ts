import { Writable } from 'node:stream';
import { createLogger, deliveryFields, logFn, temporalLogger, workflowFields } from './logger';

/** A logger writing into an array, one parsed JSON object per line. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('test', stream) };
}

it('reads the payout or mass payout out of a workflow id', () => {
  expect(workflowFields('payout-po_1')).toEqual({ workflow_id: 'payout-po_1', payout_id: 'po_1' });
  expect(workflowFields('mass-payout-mp_2')).toEqual({ workflow_id: 'mass-payout-mp_2', mass_payout_id: 'mp_2' });
  expect(workflowFields('mass-payout-mp_2-chunk-7')).toEqual({ workflow_id: 'mass-payout-mp_2-chunk-7', mass_payout_id: 'mp_2', chunk: 7 });
  expect(workflowFields('reconciliation-q-1')).toEqual({ workflow_id: 'reconciliation-q-1' });
  expect(workflowFields(undefined)).toEqual({});
});

it("reads the payout or mass payout out of a delivery's key", () => {
  expect(deliveryFields('po_1')).toEqual({ delivery_id: 'po_1', payout_id: 'po_1' });
  expect(deliveryFields('mp_2:chunk:3')).toEqual({ delivery_id: 'mp_2:chunk:3', mass_payout_id: 'mp_2' });
  expect(deliveryFields('mp_2:item:14')).toEqual({ delivery_id: 'mp_2:item:14', mass_payout_id: 'mp_2' });
  expect(deliveryFields('mp_2:allowance')).toEqual({ delivery_id: 'mp_2:allowance', mass_payout_id: 'mp_2' });
});

it('writes one JSON object per line with the service, a level name and an ISO time', () => {
  const { lines, logger } = capture();
  logger.info({ payout_id: 'po_1' }, 'hello');
  expect(lines).toEqual([
    { level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'test', payout_id: 'po_1', msg: 'hello' },
  ]);
});

it('redacts secret-looking keys at the top level and one level down', () => {
  const { lines, logger } = capture();
  logger.info(
    { privateKey: '0xabc', config: { password: 'hunter2', secretAccessKey: 'AKIA' }, headers: { authorization: 'Bearer x' } },
    'x',
  );
  const text = JSON.stringify(lines);
  expect(text).not.toMatch(/0xabc|hunter2|AKIA|Bearer x/);
  expect(lines[0]).toMatchObject({ privateKey: '[redacted]', config: { password: '[redacted]' } });
});

it("the Temporal SDK's lines keep their metadata and name the payout", () => {
  const { lines, logger } = capture();
  temporalLogger(logger).warn('Activity failed', { workflowId: 'payout-po_9', runId: 'r1', activityType: 'prepareTransfer' });
  expect(lines[0]).toMatchObject({
    level: 'warn',
    msg: 'Activity failed',
    payout_id: 'po_9',
    workflow_id: 'payout-po_9',
    run_id: 'r1',
    activityType: 'prepareTransfer',
  });
});

it("the loops' callback logs an error with its stack, and a message without one as information", () => {
  const { lines, logger } = capture();
  const log = logFn(logger, 'wallet-owner');
  log('owner of 0x1 on local', undefined, { network: 'local' });
  log('round failed', new Error('boom'));
  expect(lines[0]).toMatchObject({ level: 'info', component: 'wallet-owner', network: 'local' });
  expect(lines[1]).toMatchObject({ level: 'error', component: 'wallet-owner', err: { message: 'boom', type: 'Error' } });
});
