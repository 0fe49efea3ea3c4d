import type { IDataObject, INode, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { UserError } from 'n8n-workflow';

/** Every error the nodes throw is one of these two. */
export type NodeError = NodeApiError | NodeOperationError;

/**
 * n8n rewrites an error message that merely contains a Node error code, case-insensitively: a
 * message about 'preexisting_roads.tif' (EEXIST) would read "The file or directory already
 * exists". These build the errors and then put our message back.
 */
export function operationError(
	node: INode,
	message: string,
	options: { description?: string; itemIndex?: number } = {},
): NodeOperationError {
	const error = new NodeOperationError(node, message, options);
	error.message = message;
	return error;
}

export function apiErrorOf(
	node: INode,
	message: string,
	options: {
		description?: string;
		itemIndex?: number;
		httpCode?: string;
		serverMessage?: string;
	} = {},
): NodeApiError {
	const { serverMessage, ...rest } = options;
	const response: JsonObject = {
		message,
		...(options.httpCode ? { httpCode: options.httpCode } : {}),
		...(serverMessage ? { serverMessage } : {}),
	};
	const error = new NodeApiError(node, response, { message, ...rest });
	error.message = message;
	return error;
}

/**
 * Every error leaves the nodes as a NodeApiError (EverGIS answered, or could not be reached) or a
 * NodeOperationError (the input or a task's outcome), with the item it belongs to.
 */
export function asNodeError(
	context: { getNode(): INode },
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	let nodeError: NodeApiError | NodeOperationError;
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		const owner = error.context.itemIndex;
		// One failure can reach several items (a login that failed for the whole batch): each item
		// gets its own copy, so that each names its own item.
		nodeError =
			owner === undefined || itemIndex === undefined || owner === itemIndex
				? error
				: copyOf(context, error);
	} else if (error instanceof Error) {
		nodeError = operationError(context.getNode(), error.message, {
			description: (error as UserError).description ?? undefined,
		});
	} else {
		nodeError = operationError(context.getNode(), String(error));
	}
	const index = itemIndex ?? nodeError.context.itemIndex;
	if (typeof index === 'number') {
		nodeError.context.itemIndex = index;
		// The item is in the message too, so it shows wherever the message goes (logs, error items, CLI).
		if (!ITEM_SUFFIX.test(nodeError.message)) {
			nodeError.message = `${nodeError.message} [item ${index}]`;
		}
	}
	return nodeError;
}

const ITEM_SUFFIX = / \[item \d+\]$/;

function copyOf(
	context: { getNode(): INode },
	error: NodeApiError | NodeOperationError,
): NodeApiError | NodeOperationError {
	const message = error.message.replace(ITEM_SUFFIX, '');
	const description = error.description ?? undefined;
	const copy =
		error instanceof NodeApiError
			? apiErrorOf(context.getNode(), message, {
					description,
					httpCode: error.httpCode ?? undefined,
				})
			: operationError(context.getNode(), message, { description });
	// What travels with the error (the failed request's facts: transport/errors.ts) travels with each copy.
	for (const key of Object.getOwnPropertySymbols(error)) {
		Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(error, key)!);
	}
	return copy;
}

/**
 * Facts the item's error item should carry besides the message (the catalog and files of a task
 * that may exist, ...): kept in the error's context.
 */
export function withDetails(error: NodeError, details: IDataObject): NodeError {
	error.context.details = details;
	return error;
}

/**
 * The output item that stands for a failed item under Continue On Fail: the error's message,
 * description and details in its JSON. Under Continue (using Error Output), `toErrorOutput`, it also
 * carries the error itself, as n8n's own nodes do: n8n then moves it to the node's error output
 * (n8n-core `workflow-execute.js` `handleNodeErrorOutput`, 1.x and 2.x) and keeps only the message
 * in its JSON (`normalizeNodeErrors`), the error beside it.
 */
export function errorItem(
	error: NodeApiError | NodeOperationError,
	itemIndex: number,
	context: IDataObject = {},
	toErrorOutput = false,
): INodeExecutionData {
	const details = error.context.details;
	return {
		json: {
			error: error.message,
			...(error.description ? { description: error.description } : {}),
			...(error instanceof NodeApiError && error.httpCode ? { httpCode: error.httpCode } : {}),
			...(details && typeof details === 'object' ? (details as IDataObject) : {}),
			...context,
		},
		...(toErrorOutput ? { error } : {}),
		pairedItem: { item: itemIndex },
	};
}
