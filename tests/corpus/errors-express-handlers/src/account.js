import express from "express";
import { errorMiddleware } from "./util/middlewares.js";

const app = express();
app.use(errorMiddleware); // expect: errors.error-handler-before-routes
app.get("/needs-bootstrap", (req, res) => res.send({ ok: true }));

export { app as handlers };
