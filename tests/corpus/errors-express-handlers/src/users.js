const express = require("express");

const router = express.Router();
router.get("/:id", async (req, res, next) => {
  try {
    res.json(await find(req.params.id));
  } catch (err) {
    next(err);
  }
});
router.use((err, req, res, next) => res.status(404).json({ error: "no such user" })); // expect: errors.central-error-handler

module.exports = { router };
