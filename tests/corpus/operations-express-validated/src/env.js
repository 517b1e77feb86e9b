const { cleanEnv, str, num, bool } = require('envalid');

const spec = {
  DB_URL: str(),
  PORT: num({ default: 3000 }),
  TRUST_PROXY: bool({ default: false }),
};

module.exports = cleanEnv(process.env, spec); // expect: ops.validated-config
