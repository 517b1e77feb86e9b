// Not breakers: a modal with open/closed state and a retry counter.
class Modal {
  constructor() {
    this.state = 'CLOSED';
  }
  open() {
    this.state = 'OPEN';
  }
}

class Stats {
  constructor() {
    this.failed = 0;
  }
  fail() {
    this.failed++;
  }
}

module.exports = { Modal, Stats };
