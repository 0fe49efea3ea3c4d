// The package's entry point (`main`): the compiled node and credential classes, for code that
// requires the package (tests, tools, a custom n8n build). n8n itself does not load this file: it
// finds the same classes through the "n8n" section of package.json, which points at dist/.
'use strict';

const { EverGisApi } = require('./dist/credentials/EverGisApi.credentials');
const { EverGisTiling } = require('./dist/nodes/EverGis/EverGisTiling.node');
const { EverGisTilingTrigger } = require('./dist/nodes/EverGis/EverGisTilingTrigger.node');

module.exports = { EverGisApi, EverGisTiling, EverGisTilingTrigger };
