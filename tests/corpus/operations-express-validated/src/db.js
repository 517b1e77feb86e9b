const env = require('./env');

async function listLinks(user) {
  return [{ user, url: env.DB_URL }];
}

module.exports = { listLinks };
