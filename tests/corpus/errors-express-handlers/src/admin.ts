import express from "express";

const app = express();
app.use((err: Error, req: express.Request, res: express.Response, next: express.NextFunction) => { // expect: errors.error-handler-before-routes
  res.status(500).send("internal error");
});
app.get("/users", (req, res) => res.send(list()));
app.use((req, res, next) => next()); // three parameters: ordinary middleware
app.use((err: Error, req: express.Request, res: express.Response, next: express.NextFunction) => { // expect: errors.central-error-handler
  res.status(500).send("internal error");
});

export default app;
