import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, UserError } from 'n8n-workflow';

/**
 * Every error leaves the nodes as a NodeApiError (EverGIS answered, or could not be reached) or a
 * NodeOperationError (the input or a task's outcome), with the item it belongs to.
 */
export function asNodeError(
	context: { getNode(): INode },
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined)
			error.context.itemIndex = itemIndex;
		return error;
	}
	if (error instanceof UserError) {
		return new NodeOperationError(context.getNode(), error.message, {
			itemIndex,
			description: error.description ?? undefined,
		});
	}
	return new NodeOperationError(context.getNode(), error as Error, { itemIndex });
}

/** The output item that stands for a failed item under Continue On Fail. */
export function errorItem(
	error: NodeApiError | NodeOperationError,
	itemIndex: number,
	context: IDataObject = {},
): INodeExecutionData {
	return {
		json: {
			error: error.message,
			...(error.description ? { description: error.description } : {}),
			...(error instanceof NodeApiError && error.httpCode ? { httpCode: error.httpCode } : {}),
			...context,
		},
		pairedItem: { item: itemIndex },
	};
}
