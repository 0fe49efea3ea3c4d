import { newerApiVerdict, speaksNewerApi } from '../../../nodes/EverGis/transport/generation';

describe('which API generation a host speaks (GET /scheduler/worker)', () => {
	test.each([
		[200, [{ type: 'importExport' }], true],
		[200, [], true],
		[200, { id: 'worker' }, false],
		[200, '<html></html>', false],
		[404, '', false],
		[404, { message: "Task 'worker' was not found" }, false],
		[400, { title: 'Bad Request' }, false],
		[405, '', false],
		[401, '', undefined],
		[419, {}, undefined],
		[429, {}, undefined],
		[502, '<html></html>', undefined],
		[undefined, undefined, undefined],
	])('HTTP %p with %p: newer %p', (status, body, verdict) => {
		expect(newerApiVerdict(status, body)).toBe(verdict);
	});

	test('asked once per host; an answer that says nothing is asked again', async () => {
		const host = `https://generation-${Date.now()}.invalid/sp`;
		const ask = jest
			.fn<Promise<boolean | undefined>, []>()
			.mockResolvedValueOnce(undefined)
			.mockRejectedValueOnce(new Error('reset'))
			.mockResolvedValueOnce(true);
		expect(await speaksNewerApi(host, ask)).toBe(false);
		expect(await speaksNewerApi(host, ask)).toBe(false);
		const [a, b] = await Promise.all([speaksNewerApi(host, ask), speaksNewerApi(host, ask)]);
		expect([a, b]).toEqual([true, true]);
		expect(await speaksNewerApi(host, ask)).toBe(true);
		expect(ask).toHaveBeenCalledTimes(3);
		expect(await speaksNewerApi(`${host}/other`, async () => false)).toBe(false);
	});
});
