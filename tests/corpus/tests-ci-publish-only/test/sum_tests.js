const sum = require("../src/index");
exports.adds = function (test) {
  test.equal(sum(1, 2), 3);
  test.done();
};
