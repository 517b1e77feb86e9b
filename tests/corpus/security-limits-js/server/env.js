const { cleanEnv, bool, num, str } = require("envalid");

module.exports = cleanEnv(process.env, { // expect: ops.validated-config
  PORT: num({ default: 3001 }),
  TRUST_PROXY: bool({ default: true }), // expect: security.trust-proxy-all
  BEHIND_CDN: bool({ default: false }),
  DB_FILE: str({ default: "data/monitor.db" }),
});
