/**
 * One line of progress for a mass payout: `[#####-----] 4,200/10,000 paid · 3 failed · 12 txs · 37 s`.
 * The bar fills with the items that are final (paid, failed, canceled or expired); the numbers say which.
 * Pure: the follower decides where and how often to print it.
 */
import type { MassPayoutView } from './client';

export const count = (n: number) => n.toLocaleString('en-US');

/** 9 s, 37 s, 2 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Seconds with one decimal under a minute (how long acceptance took), else as formatDuration. */
export function formatSeconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** 512 bytes, 48 kB, 6.2 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1e6) return `${Math.round(bytes / 1000)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

const FINAL_ITEM_STATUSES = ['completed', 'failed', 'canceled', 'expired'];

export const itemsIn = (view: Pick<MassPayoutView, 'counts'>, status: string): number => view.counts?.[status]?.count ?? 0;

export function finalItems(view: Pick<MassPayoutView, 'counts'>): number {
  return FINAL_ITEM_STATUSES.reduce((sum, status) => sum + itemsIn(view, status), 0);
}

export function progressBar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** What the batch waits for, when it is not simply paying: shown instead of an idle bar. */
function waitingNote(view: MassPayoutView): string | undefined {
  if (view.status === 'pending_approval') return 'waiting for approval';
  const attention = view.attention as { code?: unknown } | string | null | undefined;
  const code = typeof attention === 'string' ? attention : attention?.code;
  if (typeof code === 'string' && code) return `needs attention: ${code}`;
  return undefined;
}

/** What the progress line shows apart from the clock: it changes when something happened. */
export function progressState(view: MassPayoutView): { status: string; progress: string } {
  const counts = ['completed', 'failed', 'canceled', 'expired'].map((status) => itemsIn(view, status));
  return { status: view.status, progress: [...counts, view.transactions ?? 0, waitingNote(view) ?? ''].join('/') };
}

export function renderProgress(view: MassPayoutView, elapsedMs: number, options: { width?: number } = {}): string {
  const total = view.item_count;
  const parts = [`${progressBar(finalItems(view), total, options.width ?? 10)} ${count(itemsIn(view, 'completed'))}/${count(total)} paid`];
  for (const status of ['failed', 'canceled', 'expired']) {
    const n = itemsIn(view, status);
    if (n > 0 || status === 'failed') parts.push(`${count(n)} ${status}`);
  }
  const transactions = view.transactions ?? 0;
  parts.push(`${count(transactions)} ${transactions === 1 ? 'tx' : 'txs'}`);
  parts.push(formatDuration(elapsedMs));
  const note = waitingNote(view);
  if (note) parts.push(note);
  return parts.join(' · ');
}
