import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as file from './actions/file';
import * as raster from './actions/raster';
import { router } from './actions/router';
import * as task from './actions/task';
import { searchCatalogs } from './methods/listSearch';
import { getCatalogAttributes } from './methods/loadOptions';

export class EverGisTiling implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EverGIS Tiling',
		name: 'everGisTiling',
		icon: { light: 'file:../../icons/evergis.svg', dark: 'file:../../icons/evergis.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle:
			'={{ ({ "raster:uploadToCatalog": "Upload to catalog " + ($parameter["catalog"]?.value ?? ""), "raster:keepNewFiles": "Keep new files for " + ($parameter["catalog"]?.value ?? ""), "raster:markAsLoaded": "Mark files as loaded in " + ($parameter["catalog"]?.value ?? ""), "task:get": "Get task", "task:getStatus": "Get task status", "task:waitForCompletion": "Wait for task", "task:cancel": "Cancel task", "file:upload": "Upload file" })[$parameter["resource"] + ":" + $parameter["operation"]] }}',
		description:
			'Load GeoTIFFs and other rasters into EverGIS raster catalogs, and follow the tiling tasks',
		defaults: { name: 'EverGIS Tiling' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Keep New Files has two outputs (New; Loaded or Loading), every other operation one.
		outputs: `={{ $parameter.resource === "raster" && $parameter.operation === "keepNewFiles" ? [{ "type": "${NodeConnectionTypes.Main}", "displayName": "New" }, { "type": "${NodeConnectionTypes.Main}", "displayName": "Loaded or Loading" }] : ["${NodeConnectionTypes.Main}"] }}`,
		credentials: [{ name: 'everGisApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'File', value: 'file' },
					{ name: 'Raster', value: 'raster' },
					{ name: 'Task', value: 'task' },
				],
				default: 'raster',
			},
			...raster.description,
			...task.description,
			...file.description,
		],
	};

	methods = {
		listSearch: { searchCatalogs },
		loadOptions: { getCatalogAttributes },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
