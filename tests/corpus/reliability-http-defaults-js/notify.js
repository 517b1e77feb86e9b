// Every axios call of the process gets the timeout that defaults.js sets at start-up.
const axios = require('axios');

async function notify(url, event) {
  return axios.post(url, event);
}

async function poll(url) {
  return axios.get(url, { params: { since: Date.now() - 60_000 } });
}

module.exports = { notify, poll };
