import express from 'express';

const app = express();
app.get('/', (_req, res) => res.send('ok'));
app.listen(3000);

const quit = () => process.exit(0);
process.once('SIGTERM', quit); // expect: reliability.exit-without-drain
process.on('SIGTERM', () => process.exit(0)); // expect: reliability.exit-without-drain
