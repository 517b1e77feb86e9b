const axios = require('axios');

const billing = axios.create({ baseURL: 'https://billing.example.com', timeout: 3000 }); // expect: reliability.client-timeout, reliability.no-circuit-breaker
const reports = axios.create({ baseURL: 'https://reports.example.com' }); // expect: reliability.http-no-timeout

module.exports = {
  invoice: (id) => billing.get(`/invoices/${id}`),
  report: (id) => reports.get(`/reports/${id}`),
};
