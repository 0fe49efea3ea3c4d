/**
 * Runs `work` over `inputs` with at most `limit` running at once. Results keep the input order;
 * a failure is kept as a rejected result and does not stop the others. When `shouldStop` turns
 * true no new piece starts (those not started stay undefined), and the call returns once every
 * started piece has settled, so nothing is left running behind the caller's back.
 */
export async function mapWithConcurrency<T, R>(
	inputs: readonly T[],
	limit: number,
	work: (input: T, index: number) => Promise<R>,
	shouldStop: () => boolean = () => false,
): Promise<Array<PromiseSettledResult<R> | undefined>> {
	const results: Array<PromiseSettledResult<R> | undefined> = new Array(inputs.length);
	let next = 0;
	const worker = async () => {
		while (next < inputs.length && !shouldStop()) {
			const index = next++;
			try {
				results[index] = { status: 'fulfilled', value: await work(inputs[index], index) };
			} catch (reason) {
				results[index] = { status: 'rejected', reason };
			}
		}
	};
	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, inputs.length));
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}
