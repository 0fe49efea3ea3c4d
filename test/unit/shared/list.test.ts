import { splitList } from '../../../nodes/EverGis/shared/list';

describe('splitList', () => {
	test('commas and new lines separate entries; spaces around them are trimmed', () => {
		expect(splitList('a.tif, b.tif\nc.tif ,d.tif')).toEqual(['a.tif', 'b.tif', 'c.tif', 'd.tif']);
	});

	test('Windows line ends are trimmed away', () => {
		expect(splitList('a.tif\r\nb.tif\r\n')).toEqual(['a.tif', 'b.tif']);
	});

	test('by default a space inside an entry is kept (file names may have spaces)', () => {
		expect(splitList('my scene.tif, other.tif')).toEqual(['my scene.tif', 'other.tif']);
	});

	test('empty entries are dropped', () => {
		expect(splitList(',, a ,\n\n, b,')).toEqual(['a', 'b']);
	});

	test('duplicates are dropped, first occurrence order kept', () => {
		expect(splitList('b, a, b, c, a')).toEqual(['b', 'a', 'c']);
	});

	test('an array (an expression result) is taken entry by entry, not split', () => {
		expect(splitList([' a, b ', 'c', 'c', '', null, 7])).toEqual(['a, b', 'c', '7']);
	});

	test('custom separators (the trigger splits task IDs on white space, commas, semicolons)', () => {
		expect(splitList('id-1 id-2;id-3,\tid-4\nid-1', /[\s,;]+/)).toEqual([
			'id-1',
			'id-2',
			'id-3',
			'id-4',
		]);
	});

	test.each([undefined, null, '', '   ', ',\n,', []])('nothing (%p) → []', (value) => {
		expect(splitList(value)).toEqual([]);
	});

	test('a number is one entry', () => {
		expect(splitList(42)).toEqual(['42']);
	});
});
