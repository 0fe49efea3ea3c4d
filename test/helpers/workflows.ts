import { join } from 'node:path';

import type { INodeParameters } from 'n8n-workflow';

import type { WorkflowSpec } from './engine';
import { NODE } from './engine';
import type { FileItemSpec } from './testNodes';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'rasters');
export const fixture = (name: string) => join(FIXTURES, name);

export const CREDENTIALS = { everGisApi: { id: 'cred-1', name: 'EverGIS demo' } };

/** Manual trigger → items with files → EverGIS Tiling with the given parameters. */
export function tilingWorkflow(
	parameters: INodeParameters,
	items: FileItemSpec[] = [{ files: { data: fixture('rgb-byte-tenth.tif') } }],
	settings: {
		continueOnFail?: boolean;
		credentials?: WorkflowSpec['nodes'][number]['credentials'];
	} = {},
): WorkflowSpec {
	return {
		nodes: [
			{ name: 'Start', type: NODE.manualTrigger, parameters: {} },
			{ name: 'Files', type: NODE.fileItems, parameters: { items: JSON.stringify(items) } },
			{
				name: 'EverGIS',
				type: NODE.tiling,
				parameters,
				credentials: settings.credentials ?? CREDENTIALS,
				...(settings.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			},
		],
		connections: {
			Start: { main: [[{ node: 'Files', type: 'main', index: 0 }]] },
			Files: { main: [[{ node: 'EverGIS', type: 'main', index: 0 }]] },
		},
	};
}

/** The parameters of Raster → Upload to Catalog, with the catalog given by name. */
export function uploadParameters(catalog: string, more: INodeParameters = {}): INodeParameters {
	return {
		resource: 'raster',
		operation: 'uploadToCatalog',
		catalog: { __rl: true, mode: 'name', value: catalog },
		...more,
	};
}
