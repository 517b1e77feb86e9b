// A pool of workers and a client object that are not database clients.
class Pool {
  constructor(size) {
    this.size = size;
  }
}

const workers = new Pool(4);
const client = { connect: () => true };

module.exports = { workers, client };
