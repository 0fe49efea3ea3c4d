import { safeFileName, uniqueUploadName } from '../../../nodes/EverGis/model/uploadName';

const HEX = '0123456789ab';

describe('uniqueUploadName', () => {
	test('keeps stem and extension, with the random part between them', () => {
		expect(uniqueUploadName('landsat_test_image.tif', HEX)).toBe(
			'landsat_test_image_0123456789ab.tif',
		);
		expect(uniqueUploadName('RGB.byte.tif', HEX)).toBe('RGB.byte_0123456789ab.tif');
	});

	test('only the last extension is treated as the extension', () => {
		expect(uniqueUploadName('tiles.tar.gz', HEX)).toBe('tiles.tar_0123456789ab.gz');
	});

	test('a name without an extension gets the suffix at the end', () => {
		expect(uniqueUploadName('README', HEX)).toBe('README_0123456789ab');
	});

	test('a dot file keeps its whole name as the stem', () => {
		expect(uniqueUploadName('.tif', HEX)).toBe('.tif_0123456789ab');
	});

	test('two different random parts give two different names for the same file', () => {
		const a = uniqueUploadName('image.tif', '000000000001');
		const b = uniqueUploadName('image.tif', '000000000002');
		expect(a).not.toBe(b);
		expect(a.endsWith('.tif') && b.endsWith('.tif')).toBe(true);
	});

	test('non-Latin names are kept', () => {
		expect(uniqueUploadName('Снимок Landsat-8.tif', HEX)).toBe('Снимок_Landsat-8_0123456789ab.tif');
	});

	test('path separators are dropped before the suffix is added', () => {
		expect(uniqueUploadName('../../etc/scene.tif', HEX)).toBe('scene_0123456789ab.tif');
		expect(uniqueUploadName('C:\\data\\scene.tif', HEX)).toBe('scene_0123456789ab.tif');
	});

	test('an empty name becomes file_<hex>', () => {
		expect(uniqueUploadName('', HEX)).toBe('file_0123456789ab');
	});
});

describe('safeFileName', () => {
	test('an ordinary name is unchanged', () => {
		expect(safeFileName('landsat_test_image.tif')).toBe('landsat_test_image.tif');
		expect(safeFileName('Снимок-8.TIF')).toBe('Снимок-8.TIF');
	});

	test.each([
		['dir/sub/scene.tif', 'scene.tif'],
		['/abs/scene.tif', 'scene.tif'],
		['..\\..\\scene.tif', 'scene.tif'],
		['C:\\Users\\me\\scene.tif', 'scene.tif'],
		['mixed/dir\\scene.tif', 'scene.tif'],
	])('path separators: %p → %p', (name, expected) => {
		expect(safeFileName(name)).toBe(expected);
	});

	test.each([
		['sce\u0000ne.tif', 'scene.tif'],
		['scene\u0007.tif', 'scene.tif'],
		['sce\u001bne.tif', 'scene.tif'],
		['scene\u007f.tif', 'scene.tif'],
		['a\rb.tif', 'ab.tif'],
		['a\nb.tif', 'ab.tif'],
		['a\tb.tif', 'ab.tif'],
	])('control characters are dropped: %p → %p', (name, expected) => {
		expect(safeFileName(name)).toBe(expected);
	});

	test('white space inside the name becomes an underscore', () => {
		expect(safeFileName('my scene  2023.tif')).toBe('my_scene_2023.tif');
	});

	test.each(['', '/', 'dir/', '\\', '.', '..', 'dir/..', '\u0000\u0001', 'a/\u0000'])(
		'nothing usable (%p) → "file"',
		(name) => {
			expect(safeFileName(name)).toBe('file');
		},
	);

	test('leading and trailing white space is trimmed, not turned into _', () => {
		expect(safeFileName(' scene.tif ')).toBe('scene.tif');
		expect(uniqueUploadName('scene.tif ', HEX)).toBe('scene_0123456789ab.tif');
	});
});
