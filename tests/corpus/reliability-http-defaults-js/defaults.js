const axios = require('axios');

axios.defaults.timeout = 4000; // expect: reliability.client-timeout

async function report(data) {
  return axios.post('https://reports.example.com', data); // expect: reliability.no-circuit-breaker
}

function localFetch(cache, key) {
  return cache.fetch(key);
}

module.exports = { report, localFetch };
