const { Router } = require('express');

const router = Router();

router.get('/', (_req, res) => res.send('OK')); // expect: health.shallow-check

module.exports = router;
