import { UserError } from 'n8n-workflow';

/** What `fn` throws; fails the test when it throws nothing. */
export function thrownBy(fn: () => unknown): unknown {
	try {
		fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected the call to throw, but it returned');
}

/**
 * The UserError that `fn` throws, checked to carry a non-empty description (the "what to do"
 * that n8n shows under the message).
 */
export function userErrorFrom(fn: () => unknown): UserError {
	const error = thrownBy(fn);
	expect(error).toBeInstanceOf(UserError);
	const userError = error as UserError;
	expect(typeof userError.description).toBe('string');
	expect((userError.description ?? '').trim()).not.toBe('');
	return userError;
}
