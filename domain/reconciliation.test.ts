import { checkExceptionTransition, EXCEPTION_STATES } from './reconciliation';

const owned = { owner: 'finance-ops', note: null };

describe('exception transitions', () => {
  it('open -> investigating -> resolved, with an owner and then a note', () => {
    expect(checkExceptionTransition('open', 'investigating', owned)).toEqual({ ok: true });
    expect(checkExceptionTransition('investigating', 'resolved', { owner: 'finance-ops', note: 'refunded' })).toEqual({ ok: true });
  });

  it('hands back and reopens', () => {
    expect(checkExceptionTransition('investigating', 'open', owned)).toEqual({ ok: true });
    expect(checkExceptionTransition('resolved', 'open', { owner: null, note: 'it came back' })).toEqual({ ok: true });
  });

  it('refuses skipping investigation and going back from resolved to investigating', () => {
    expect(checkExceptionTransition('open', 'resolved', { owner: 'x', note: 'y' })).toMatchObject({
      ok: false,
      code: 'invalid_transition',
      message: 'an exception that is open can move only to investigating, not resolved',
    });
    expect(checkExceptionTransition('resolved', 'investigating', owned)).toMatchObject({ ok: false, code: 'invalid_transition' });
  });

  it('needs an owner to investigate and a note to resolve or reopen', () => {
    expect(checkExceptionTransition('open', 'investigating', { owner: null, note: null })).toMatchObject({
      ok: false,
      code: 'owner_required',
    });
    expect(checkExceptionTransition('investigating', 'resolved', owned)).toMatchObject({ ok: false, code: 'note_required' });
    expect(checkExceptionTransition('resolved', 'open', owned)).toMatchObject({ ok: false, code: 'note_required' });
  });

  it('staying in a state is not a transition (owner or note change alone)', () => {
    for (const state of EXCEPTION_STATES) {
      expect(checkExceptionTransition(state, state, owned)).toEqual({ ok: true });
    }
    // ...but an exception under investigation keeps an owner.
    expect(checkExceptionTransition('investigating', 'investigating', { owner: null, note: null })).toMatchObject({
      code: 'owner_required',
    });
  });
});
