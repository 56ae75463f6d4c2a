// Jest on Node 20 cannot require an ES module; @fastify/static (Swagger UI's assets) requires the ESM-only
// content-disposition 3. Under Jest it gets the CommonJS release of the same library, whose default export
// is what version 3 calls `create`.
const contentDisposition = require('content-disposition-cjs');

module.exports = { create: contentDisposition, parse: contentDisposition.parse };
