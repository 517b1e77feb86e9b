const { Pool } = require('pg');

module.exports = new Pool({ connectionTimeoutMillis: 2000, statement_timeout: 2000 }); // expect: durability.connection-pool
