// n8n finds this package's nodes and credentials through the "n8n" section of package.json,
// which points at the compiled files in dist/. Nothing is exported from here.
module.exports = {};
